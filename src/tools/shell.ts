import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { NETWORK_DISABLED_HINT, looksLikeNetworkDenial } from '../sandbox/network-denial.js';
import { truncateMiddle } from '../sandbox/truncate-middle.js';
import type { CommandResult } from '../sandbox/types.js';
import { resolveWorkspacePath } from '../workspace/resolve-workspace-path.js';
import type { Tool, ToolOutcome } from './types.js';

export interface ShellToolOptions {
  /** Timeout when the model gives none. */
  readonly defaultTimeoutMs?: number;
  /** The most the model may ask for. */
  readonly maxTimeoutMs?: number;
  /** UTF-8 bytes of command output the model reads; head and tail kept. */
  readonly maxOutputBytes?: number;
}

const DEFAULTS = {
  defaultTimeoutMs: 120_000,
  maxTimeoutMs: 600_000,
  maxOutputBytes: 10 * 1024,
} as const;

const parameters = z.object({
  command: z
    .union([z.string().min(1), z.array(z.string()).min(1)])
    .describe(
      'A bash script, run as `bash -c <command>`; or an argv array run directly, e.g. ["npm", "test"].',
    ),
  workdir: z
    .string()
    .optional()
    .describe('Directory to run in, relative to the repository root. Default: the root.'),
  timeout_ms: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Kill the command after this many milliseconds. Default 120000.'),
  sandbox_permissions: z
    .enum(['use_default', 'require_escalated'])
    .optional()
    .describe(
      'use_default (the default): no network, writes only in the repository. require_escalated asks for more; in CI it is always denied.',
    ),
  justification: z
    .string()
    .optional()
    .describe('Why escalation is needed; only with require_escalated.'),
});

type ShellArgs = z.infer<typeof parameters>;

/**
 * shell: runs a command in the sandbox and reports exit code, wall time and output, cut
 * to a size a model can read. Escalation requests are refused without running anything:
 * in CI nobody is there to approve them.
 */
export function createShellTool(options: ShellToolOptions = {}): Tool<typeof parameters> {
  const settings = { ...DEFAULTS, ...options };
  return {
    name: 'shell',
    description:
      'Run a shell command in the repository, in a sandbox: no network, writes allowed only inside ' +
      'the repository (not .git), a fresh HOME and /tmp for every call. Returns the exit code, wall ' +
      'time and output (long output is cut in the middle). Prefer `search` for finding text.',
    parameters,
    mutating: true,
    async run(args, context) {
      if (args.sandbox_permissions === 'require_escalated') return denyEscalation(args);

      let cwd = context.workspace;
      if (args.workdir !== undefined && args.workdir !== '' && args.workdir !== '.') {
        try {
          cwd = await resolveWorkspacePath(context.workspace, args.workdir);
        } catch (error) {
          if (error instanceof UserError) return { ok: false, output: error.message };
          throw error;
        }
        const stats = await stat(cwd).catch(() => undefined);
        if (!stats?.isDirectory()) {
          return {
            ok: false,
            output: `workdir ${JSON.stringify(args.workdir)} is not a directory.`,
          };
        }
      }

      const timeoutMs = Math.min(
        args.timeout_ms ?? settings.defaultTimeoutMs,
        settings.maxTimeoutMs,
      );
      // Not a login shell: inside the sandbox there is no /etc/profile and HOME is fresh, so
      // `-l` read nothing and cost ~30 ms per command. The PATH is ours either way.
      const argv = typeof args.command === 'string' ? ['bash', '-c', args.command] : args.command;
      let result: CommandResult;
      try {
        result = await context.sandbox.run({ argv, cwd, timeoutMs, signal: context.signal });
      } catch (error) {
        if (error instanceof UserError) return { ok: false, output: error.message };
        throw error;
      }
      // A cancelled run is not the model's doing: let the abort stop the loop.
      if (result.aborted) context.signal.throwIfAborted();
      return formatResult(result, timeoutMs, settings.maxOutputBytes);
    },
  };
}

export const shellTool = createShellTool();

function denyEscalation(args: ShellArgs): ToolOutcome {
  const justification =
    args.justification === undefined
      ? ''
      : ` (justification: ${JSON.stringify(args.justification)})`;
  return {
    ok: false,
    output:
      `Denied: the command asked for escalated sandbox permissions${justification} and was not run. ` +
      'This run is non-interactive in CI; nobody can approve an escalation, so network access and ' +
      'writes outside the repository are unavailable. Continue without them: run the command ' +
      'without require_escalated, use what is already installed, and say in your final answer ' +
      'what you could not do.',
  };
}

function formatResult(
  result: CommandResult,
  timeoutMs: number,
  maxOutputBytes: number,
): ToolOutcome {
  const lines: string[] = [];
  if (result.timedOut) {
    lines.push(
      `Exit code: none (timed out after ${timeoutMs} ms; the command and its processes were killed)`,
    );
  } else if (result.aborted) {
    lines.push('Exit code: none (cancelled; the command and its processes were killed)');
  } else if (result.outputLimitExceeded) {
    lines.push(
      `Exit code: none (killed after printing ${result.totalOutputBytes} bytes; redirect large output to a file)`,
    );
  } else if (result.exitCode === null) {
    lines.push(`Exit code: none (killed by ${result.signal ?? 'a signal'})`);
  } else {
    lines.push(`Exit code: ${result.exitCode}`);
  }
  if (result.memoryLimitExceeded) {
    lines.push(
      'Memory: a process was killed for using more memory than the sandbox allows; use less ' +
        '(smaller inputs, fewer parallel workers, a lower heap size) rather than retrying as is.',
    );
  }
  lines.push(`Wall time: ${(result.durationMs / 1000).toFixed(1)} s`);

  const output = truncateMiddle(result.output, maxOutputBytes);
  if (result.output === '') {
    lines.push('Output: (none)');
  } else {
    lines.push(
      output.truncated || result.outputTruncated
        ? `Output (${result.totalOutputBytes} bytes in all; the middle was cut, head and tail kept):`
        : 'Output:',
    );
    lines.push(output.text.endsWith('\n') ? output.text.slice(0, -1) : output.text);
  }

  const ok = result.exitCode === 0 && !result.timedOut && !result.aborted;
  if (!ok && looksLikeNetworkDenial(result.output)) lines.push('', NETWORK_DISABLED_HINT);
  if (result.neutralised !== undefined && result.neutralised.length > 0) {
    lines.push('', 'After the command, Patchling changed the workspace:');
    for (const note of result.neutralised) lines.push(`- ${note}`);
  }
  return { ok, output: lines.join('\n') };
}
