import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../../errors.js';
import type { CommandResult, Sandbox } from '../../sandbox/types.js';
import { resolveWorkspacePath } from '../../workspace/resolve-workspace-path.js';
import type { Finding } from './finding.js';
import { prepareSuggestion } from './prepare-suggestion.js';
import type { PreparedSuggestion } from './prepare-suggestion.js';
import { makeScratchCopy } from './scratch-copy.js';
import type { ScratchCopy } from './scratch-copy.js';

export const DEFAULT_VERIFY_TIMEOUT_MS = 5 * 60_000;
/** How much of a failing check's output a reason quotes. */
const REASON_TAIL_LINES = 20;
const REASON_TAIL_CHARS = 2_000;

export interface VerifySuggestionsOptions {
  /** A checkout of the pull request's head. Only read, never changed. */
  readonly workspace: string;
  readonly findings: readonly Finding[];
  /** `review.verify`: a shell command that must pass with each suggestion applied. */
  readonly verifyCommand?: string;
  /** The sandbox the command runs in, over the scratch copy (workspace-write, no network). */
  readonly sandboxFactory: (scratchDir: string) => Promise<Sandbox>;
  /** Per run of the command. Default DEFAULT_VERIFY_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Where the scratch copies are made. Default the OS temp directory. */
  readonly scratchParent?: string;
  /** Checks run at once, each on its own scratch copy. Default 1. */
  readonly concurrency?: number;
}

export interface SuggestionVerdict {
  readonly finding: Finding;
  /** true: post the suggestion. false: post the finding without it. */
  readonly verified: boolean;
  readonly reason?: string;
}

/**
 * Decides which suggestions may be posted as ```suggestion blocks: each must apply
 * cleanly to the head and change something, and when the repository names a check, the
 * check must pass in the sandbox with the suggestion applied. One verdict per finding, in
 * order (findings without a suggestion are "no suggestion").
 *
 * The workspace is copied once per worker (`concurrency` of them); between suggestions
 * only the touched file is put back. The copies are removed at the end, whatever happens.
 * Aborting throws.
 */
export async function verifySuggestions(
  options: VerifySuggestionsOptions,
): Promise<SuggestionVerdict[]> {
  const { findings, signal } = options;
  signal?.throwIfAborted();
  const verdicts: (SuggestionVerdict | undefined)[] = [];
  const pending: { index: number; prepared: PreparedSuggestion }[] = [];
  for (const [index, finding] of findings.entries()) {
    const result = await prepareSuggestion(options.workspace, finding);
    if (!result.ok) verdicts[index] = { finding, verified: false, reason: result.reason };
    else if (options.verifyCommand === undefined) verdicts[index] = { finding, verified: true };
    else pending.push({ index, prepared: result.prepared });
  }

  const command = options.verifyCommand;
  if (command !== undefined && pending.length > 0) {
    // Each worker has its own scratch copy and sandbox: checks running at once never see
    // one another's suggestion. A worker takes the next suggestion when it is free.
    let next = 0;
    const worker = async (): Promise<void> => {
      const session = new ScratchSession(options);
      try {
        while (next < pending.length) {
          signal?.throwIfAborted();
          const { index, prepared } = pending[next++] as (typeof pending)[number];
          const finding = findings[index] as Finding;
          verdicts[index] = { finding, ...(await session.check(prepared, command)) };
        }
      } finally {
        await session.dispose();
      }
    };
    const workers = Math.min(pending.length, Math.max(1, Math.floor(options.concurrency ?? 1)));
    const settled = await Promise.allSettled(Array.from({ length: workers }, worker));
    const rejected = settled.find((result) => result.status === 'rejected');
    if (rejected) throw rejected.reason;
  }
  return verdicts.map((verdict, index) => {
    if (verdict === undefined) throw new Error(`no verdict for finding ${index}`);
    return verdict;
  });
}

/**
 * The scratch copy and its sandbox, opened on first use. When a check leaves the copy in a
 * state the touched file cannot be safely put back into (it swapped a directory for a link
 * out, say), the copy is thrown away and the next check gets a fresh one.
 */
class ScratchSession {
  private scratch: ScratchCopy | undefined;
  private sandbox: Sandbox | undefined;
  /** Why the sandbox could not be made: not retried for every suggestion. */
  private openFailure: string | undefined;

  constructor(private readonly options: VerifySuggestionsOptions) {}

  async check(
    prepared: PreparedSuggestion,
    command: string,
  ): Promise<{ verified: boolean; reason?: string }> {
    let scratchDir: string;
    let sandbox: Sandbox;
    try {
      if (this.openFailure !== undefined) throw new Error(this.openFailure);
      ({ scratchDir, sandbox } = await this.open());
    } catch (error) {
      this.openFailure ??= describeError(error);
      return { verified: false, reason: `the check could not start: ${this.openFailure}` };
    }
    try {
      await replaceFile(scratchDir, prepared, prepared.updated);
    } catch (error) {
      await this.dispose();
      return { verified: false, reason: `could not apply the suggestion: ${describeError(error)}` };
    }
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    let result: CommandResult;
    try {
      result = await sandbox.run({
        argv: ['bash', '-c', command],
        cwd: scratchDir,
        timeoutMs,
        signal: this.options.signal,
      });
    } finally {
      await replaceFile(scratchDir, prepared, prepared.original).catch(() => this.dispose());
    }
    this.options.signal?.throwIfAborted();
    return judge(result, timeoutMs);
  }

  async dispose(): Promise<void> {
    const { sandbox, scratch } = this;
    this.sandbox = undefined;
    this.scratch = undefined;
    try {
      await sandbox?.close?.();
    } finally {
      await scratch?.remove();
    }
  }

  private async open(): Promise<{ scratchDir: string; sandbox: Sandbox }> {
    this.scratch ??= await makeScratchCopy(this.options.workspace, this.options.scratchParent);
    this.sandbox ??= await this.options.sandboxFactory(this.scratch.dir);
    if (this.sandbox.workspace !== this.scratch.dir) {
      throw new Error(
        `the sandbox exposes ${this.sandbox.workspace}, not the scratch copy ${this.scratch.dir}`,
      );
    }
    return { scratchDir: this.scratch.dir, sandbox: this.sandbox };
  }
}

/**
 * Writes `content` as the file, never through whatever now stands at its path: the path is
 * checked again (an earlier check ran code that could have planted a link), the old entry
 * is removed, and the file is created anew (O_EXCL does not follow links).
 */
async function replaceFile(
  scratchDir: string,
  prepared: PreparedSuggestion,
  content: string | Buffer,
): Promise<void> {
  const target = await resolveWorkspacePath(scratchDir, prepared.relativePath, { forWrite: true });
  await rm(target, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content, { flag: 'wx', mode: prepared.mode });
  await chmod(target, prepared.mode);
}

function judge(result: CommandResult, timeoutMs: number): { verified: boolean; reason?: string } {
  if (result.exitCode === 0 && !result.timedOut) return { verified: true };
  const tail = lastLines(result.output);
  const how = result.timedOut
    ? `timed out after ${timeoutMs / 1000}s`
    : result.exitCode !== null
      ? `failed with exit code ${result.exitCode}`
      : `was killed by ${result.signal ?? 'a signal'}`;
  return { verified: false, reason: `the check ${how}${tail === '' ? '' : `:\n${tail}`}` };
}

function lastLines(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-REASON_TAIL_LINES).join('\n');
  return lines.length > REASON_TAIL_CHARS ? `…${lines.slice(-REASON_TAIL_CHARS)}` : lines;
}
