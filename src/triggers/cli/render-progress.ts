import type { AgentEvent, AgentEventSink } from '../../agent/events.js';

/**
 * Live progress for a person at a terminal, on stderr: the turn, the command running,
 * elapsed time, tokens, and every wait for a rate limit. stdout stays for the answer.
 */
export function createProgressRenderer(
  write: (line: string) => void,
  clock: () => number = () => performance.now(),
  options: {
    /**
     * The caller prints why a run did not complete on its own last line (`exec` does):
     * the progress line then gives the status and the counts only, not the reason twice.
     */
    readonly reasonPrintedAfter?: boolean;
  } = {},
): AgentEventSink {
  const started = clock();
  const stamp = () => `[${((clock() - started) / 1000).toFixed(1).padStart(5)}s]`;
  const line = (text: string) => write(`${stamp()} ${text}\n`);

  return (event: AgentEvent) => {
    switch (event.type) {
      case 'run_started':
        line(
          `run ${event.runId} · ${event.provider}/${event.model} · sandbox ${event.sandboxPolicy}`,
        );
        break;
      case 'run_resumed':
        line(
          `resuming run ${event.runId} (${event.pendingCalls} unfinished tool call(s) to run again)`,
        );
        break;
      case 'turn_started':
        line(`turn ${event.turn}`);
        break;
      case 'model_retry':
        line(`  ⏳ ${event.retry.message}`);
        break;
      case 'tool_started':
        line(`  → ${describeCall(event.name, event.arguments)}`);
        break;
      case 'tool_finished':
        line(`  ${event.ok ? '✓' : '✗'} ${event.name} (${(event.durationMs / 1000).toFixed(1)}s)`);
        break;
      case 'plan_updated':
        for (const step of event.plan) {
          line(
            `  ${step.status === 'completed' ? '[x]' : step.status === 'in_progress' ? '[>]' : '[ ]'} ${step.step}`,
          );
        }
        break;
      case 'usage':
        line(`  tokens: ${event.total.totalTokens} (${event.total.cachedInputTokens} cached)`);
        break;
      case 'compacted':
        line(
          `  context compacted (${event.reason === 'threshold' ? 'near the window' : 'window exceeded'})${
            event.method === 'mechanical'
              ? ` without a summary: ${event.why ?? 'unusable answer'}`
              : ''
          }`,
        );
        break;
      case 'turn_notice':
        line(`  ⚠ ${event.message}`);
        break;
      case 'history_shed':
        line(
          event.reason === 'image_budget'
            ? `  ${event.imagesDropped} older image(s) replaced by stubs to keep requests small`
            : `  request too large for the provider: dropped ${event.imagesDropped} image(s), shortened ${event.outputsShortened} old output(s); retrying`,
        );
        break;
      case 'output_repair':
        line(`  final answer did not match the schema; asking once more`);
        break;
      case 'run_finished': {
        const reason =
          options.reasonPrintedAfter === true && event.status !== 'completed'
            ? ''
            : `: ${event.message}${event.budget === 'max_turns' ? ' (raise it with --max-turns N)' : ''}`;
        line(`${event.status}${reason} · ${event.turns} turns · ${event.usage.totalTokens} tokens`);
        break;
      }
      case 'items':
        break;
      default: {
        const unhandled: never = event;
        void unhandled;
      }
    }
  };
}

/** "shell: npm test" rather than a JSON blob. */
function describeCall(name: string, args: string): string {
  try {
    const parsed = JSON.parse(args) as Record<string, unknown>;
    const command = parsed.command;
    if (name === 'shell' && command !== undefined) {
      return `$ ${Array.isArray(command) ? command.join(' ') : String(command)}`.slice(0, 200);
    }
    const target = parsed.path ?? parsed.pattern;
    return typeof target === 'string' ? `${name} ${target}` : name;
  } catch {
    return name;
  }
}
