import { spawn } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SystemError } from '../errors.js';
import { OutputCollector } from './output-collector.js';
import type { CommandResult } from './types.js';

export interface RunProcessOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The complete environment of the process: nothing is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** Host uid/gid to run as (root only). */
  readonly uid?: number;
  readonly gid?: number;
  readonly stdin?: string;
  /** Written to fds 3, 4, ... of the process, then closed (bwrap's --args). */
  readonly extraInputs?: readonly string[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly maxOutputBytes: number;
  readonly maxTotalOutputBytes: number;
  /**
   * Kill the process group once the leader exits, for stragglers (backgrounded children)
   * that would otherwise hold the output pipe open. Not needed under bwrap, where the pid
   * namespace dies with its init.
   */
  readonly killGroupOnExit?: boolean;
}

// After the leader exits, how long stragglers may keep the pipe before we stop reading.
const DRAIN_GRACE_MS = 2000;

type KillReason = 'timeout' | 'abort' | 'output';

/**
 * Runs one process in its own process group and session (detached), stdout and stderr
 * merged by the launcher, and kills the whole group with SIGKILL on timeout, abort, or
 * an output flood. Resolves when the process has exited and its output is drained.
 */
export function runProcess(options: RunProcessOptions): Promise<CommandResult> {
  const started = performance.now();
  if (options.signal?.aborted) {
    return Promise.resolve({
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: true,
      durationMs: 0,
      output: '',
      totalOutputBytes: 0,
      outputTruncated: false,
    });
  }

  const extraInputs = options.extraInputs ?? [];
  const stdio: StdioOptions = [
    options.stdin === undefined ? 'ignore' : 'pipe',
    'pipe',
    // The launcher sends stderr into stdout, so both arrive in one ordered stream.
    'ignore',
    ...extraInputs.map(() => 'pipe' as const),
  ];

  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(options.file, options.args, {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      stdio,
      uid: options.uid,
      gid: options.gid,
      windowsHide: true,
    });
    const collector = new OutputCollector(options.maxOutputBytes);
    let killedFor: KillReason | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        // Negative pid: the whole process group the detached spawn created.
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const kill = (reason: KillReason): void => {
      if (killedFor !== undefined || settled) return;
      killedFor = reason;
      killGroup();
    };

    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = (): void => kill('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      if (drainTimer !== undefined) clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.stdout?.on('data', (chunk: Buffer) => {
      collector.push(chunk);
      if (collector.totalBytes > options.maxTotalOutputBytes) kill('output');
    });

    // Inputs are written at once and closed; an early exit makes writes fail (EPIPE),
    // which is the exit's business, not an error of ours.
    if (options.stdin !== undefined) endQuietly(child.stdin, options.stdin);
    extraInputs.forEach((data, index) => endQuietly(child.stdio[3 + index] as Writable, data));

    child.on('error', (error) => {
      if (settled) return;
      // Spawning itself failed (ENOENT, EACCES): there is no process to wait for.
      if (child.pid === undefined) {
        cleanup();
        reject(
          new SystemError(`Could not start ${options.file}: ${error.message}`, { cause: error }),
        );
      }
    });

    child.on('exit', () => {
      if (options.killGroupOnExit) killGroup();
      // Killed: what was printed so far is the result, and processes still being torn down
      // (a fork bomb's thousands) must not hold the answer past the timeout.
      if (killedFor !== undefined) child.stdout?.destroy();
      else drainTimer = setTimeout(() => child.stdout?.destroy(), DRAIN_GRACE_MS);
    });

    child.on('close', (code, signal) => {
      if (settled) return;
      cleanup();
      resolve({
        exitCode: code,
        signal,
        timedOut: killedFor === 'timeout',
        aborted: killedFor === 'abort',
        durationMs: Math.round(performance.now() - started),
        output: collector.text(),
        totalOutputBytes: collector.totalBytes,
        outputTruncated: collector.truncated,
        ...(killedFor === 'output' ? { outputLimitExceeded: true } : {}),
      });
    });
  });
}

function endQuietly(stream: Writable | null | undefined, data: string): void {
  if (!stream) return;
  stream.on('error', () => undefined);
  stream.end(data);
}
