import { parseArguments } from '../model/parse-arguments.js';
import type { ConversationItem, ImageContent, ParsedArguments } from '../model/types.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { ToolContext } from '../tools/types.js';
import type { AgentEventSink } from './events.js';
import { isArgumentsPlaceholder } from './replayable-arguments.js';

export interface PendingCall {
  readonly callId: string;
  readonly name: string;
  readonly arguments: string;
  readonly parsed: ParsedArguments;
}

/**
 * Runs one turn's calls. Consecutive read-only calls run together; a call that changes
 * files runs alone, after everything before it and before everything after it. Each
 * result is appended (and logged) the moment it exists, so a crash loses only calls that
 * had not finished, and resume re-runs exactly those.
 */
export async function executeToolCalls(
  calls: readonly PendingCall[],
  registry: ToolRegistry,
  context: ToolContext,
  append: (items: readonly ConversationItem[]) => void,
  emit: AgentEventSink,
): Promise<void> {
  const images: { label: string; images: readonly ImageContent[] }[] = [];

  const runOne = async (call: PendingCall) => {
    emit({ type: 'tool_started', callId: call.callId, name: call.name, arguments: call.arguments });
    const started = performance.now();
    const outcome = await registry.execute({ name: call.name, parsed: call.parsed }, context);
    emit({
      type: 'tool_finished',
      callId: call.callId,
      name: call.name,
      ok: outcome.ok,
      durationMs: Math.round(performance.now() - started),
    });
    append([{ type: 'function_call_output', callId: call.callId, output: outcome.output }]);
    if (outcome.images && outcome.images.length > 0) {
      images.push({ label: `${call.name} (${call.callId})`, images: outcome.images });
    }
  };

  let batch: PendingCall[] = [];
  const flush = async () => {
    await Promise.all(batch.map(runOne));
    batch = [];
  };
  for (const call of calls) {
    if (registry.isMutating(call.name)) {
      await flush();
      await runOne(call);
    } else {
      batch.push(call);
    }
  }
  await flush();

  // Function results carry text only; images ride on the next user message.
  if (images.length > 0) {
    append([
      {
        type: 'message',
        role: 'user',
        content: images.flatMap(({ label, images: list }) => [
          { type: 'text' as const, text: `Images attached by ${label}:` },
          ...list,
        ]),
      },
    ]);
  }
}

/** Calls in the history that have no result yet: what a killed run had not finished. */
export function unansweredCalls(history: readonly ConversationItem[]): PendingCall[] {
  const answered = new Set(
    history.flatMap((item) => (item.type === 'function_call_output' ? [item.callId] : [])),
  );
  return history.flatMap((item) =>
    item.type === 'function_call' && !answered.has(item.callId)
      ? [
          {
            callId: item.callId,
            name: item.name,
            arguments: item.arguments,
            parsed: resumedArguments(item.arguments),
          },
        ]
      : [],
  );
}

/** A placeholder for broken arguments stays an error on resume; it is not run. */
function resumedArguments(raw: string): ParsedArguments {
  const parsed = parseArguments(raw);
  return parsed.ok && isArgumentsPlaceholder(parsed.value)
    ? { ok: false, error: 'the original arguments were not a JSON object' }
    : parsed;
}
