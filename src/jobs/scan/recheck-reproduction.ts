import { createSandbox } from '../../sandbox/create-sandbox.js';
import type { CommandResult, Sandbox } from '../../sandbox/types.js';
import { diffAgainst } from '../../workspace/git/diff-against.js';
import { makeScratchCopy } from '../review/scratch-copy.js';
import { REPRODUCTION_TIMEOUT_MS, reproductionOutput } from './prove-candidate.js';
import type { Reproduction } from './scan-finding.js';

const APPLY_TIMEOUT_MS = 60_000;

/**
 * The longest a proof can take once a fix is made: on the scanned commit the reproduction's
 * files applied and run; on the fix its diff and those files applied, then run. Fixes stop
 * this long before the scan's deadline, so a proof does not run into the job's.
 */
export const RECHECK_WORST_CASE_MS = 3 * APPLY_TIMEOUT_MS + 2 * REPRODUCTION_TIMEOUT_MS;

/** What Patchling saw when it ran the restored reproduction on one tree. */
export interface ReproductionRun {
  /** null: killed (timeout, signal). */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** Capped and redacted, as the reproduction's output before the fix. */
  readonly output: string;
  readonly outputTruncated: boolean;
}

/**
 * gone: the fix is proven. The reproduction, restored from the files the prover left,
 * exits 0 ("the weakness is there") on the scanned commit and exits 1 to 125 (its own
 * "not vulnerable") on the fixed tree. still_vulnerable: it exits 0 on the fixed tree too.
 * inconclusive: on the fixed tree it timed out, was killed, crashed (128 and above, as
 * shells report a signal) or could not run (126, 127), which proves nothing. not_restored: its files
 * could not be applied (the fix changed the same files, or the recorded patch was cut at
 * its cap). not_reproducible: restored, it does not exit 0 on the scanned commit, so
 * its exit on the fixed tree would say nothing about the fix.
 */
export type RecheckStatus =
  'gone' | 'still_vulnerable' | 'inconclusive' | 'not_restored' | 'not_reproducible';

export interface RecheckResult {
  readonly status: RecheckStatus;
  /** One clause, for the summary and the pull request. */
  readonly reason: string;
  readonly before?: ReproductionRun;
  readonly after?: ReproductionRun;
}

export interface RecheckOptions {
  /**
   * The scanned commit's checkout (copied, never changed), and the fixed one: only its
   * changes as a commit would take them (its diff, ignored files left out) are applied to
   * a fresh copy of the scanned checkout. A fix could otherwise pass by changing ignored
   * files (installed dependencies, build output) that its pull request would not carry.
   */
  readonly originalDir: string;
  readonly fixedDir: string;
  /** The scanned commit, which the fix is a diff against; absent: the fixed tree's HEAD. */
  readonly scannedCommit?: string | undefined;
  /** The user's global excludes (the CLI's), as the fix's own diff takes them. */
  readonly excludesFile?: string | undefined;
  /** The reproduction as the prover left it and Patchling ran it (exit 0: vulnerable). */
  readonly reproduction: Reproduction;
  readonly sandboxEnv: readonly string[];
  readonly redact: (text: string) => string;
  readonly scratchParent?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

/**
 * Runs a finding's reproduction again, restored from its recorded files, first on the
 * scanned commit (the control: it must still show the weakness) and then on the fixed
 * tree (it must not). Each run is on a scratch copy, in a new sandbox (offline, no
 * secrets; `git apply` too, since the patch is model-written).
 */
export async function recheckReproduction(options: RecheckOptions): Promise<RecheckResult> {
  const before = await runRestored([], options);
  if (before.kind === 'not_restored') {
    return {
      status: 'not_restored',
      reason: `the reproduction's files could not be restored on the scanned commit: ${before.message}`,
    };
  }
  if (before.run.exitCode !== 0 || before.run.timedOut) {
    return {
      status: 'not_reproducible',
      reason: `restored on the scanned commit, the reproduction ${describeExit(before.run)} instead of 0`,
      before: before.run,
    };
  }
  const fixPatch = await diffAgainst({
    dir: options.fixedDir,
    base: options.scannedCommit ?? 'HEAD',
    binary: true,
    excludesFile: options.excludesFile,
    signal: options.signal,
  });
  const after = await runRestored([{ name: 'the fix', patch: fixPatch }], options);
  if (after.kind === 'not_restored') {
    return {
      status: 'not_restored',
      reason: `the reproduction's files could not be applied to the fixed tree: ${after.message}`,
      before: before.run,
    };
  }
  const run = after.run;
  if (run.timedOut || run.exitCode === null || run.exitCode > LAST_DELIBERATE_EXIT) {
    return {
      status: 'inconclusive',
      reason: `the reproduction ${describeExit(run)} on the fixed tree`,
      before: before.run,
      after: run,
    };
  }
  if (run.exitCode === 0) {
    return {
      status: 'still_vulnerable',
      reason: 'the reproduction still exits 0 (the weakness shows) on the fixed tree',
      before: before.run,
      after: run,
    };
  }
  return {
    status: 'gone',
    reason: `the reproduction exits 0 on the scanned commit and ${run.exitCode} with the fix`,
    before: before.run,
    after: run,
  };
}

/**
 * Exits above this are not the reproduction's verdict: 126 and 127 are the shell's "cannot
 * run" and "not found", 128+n a process killed by signal n (a crash, the memory limit).
 */
const LAST_DELIBERATE_EXIT = 125;

type Restored =
  | { readonly kind: 'ran'; readonly run: ReproductionRun }
  | { readonly kind: 'not_restored'; readonly message: string };

/**
 * The reproduction run on a fresh copy of the scanned checkout with `changes` applied
 * first (none: the scanned commit itself), then the reproduction's own files.
 */
async function runRestored(
  changes: readonly { readonly name: string; readonly patch: string }[],
  options: RecheckOptions,
): Promise<Restored> {
  // As the prover ran it: the dependency trees shown read-only, not copied.
  const scratch = await makeScratchCopy(options.originalDir, options.scratchParent, {
    shareDependencies: true,
  });
  try {
    const sandbox = await createSandbox({
      workspace: scratch.dir,
      policy: 'workspace-write',
      envAllowlist: options.sandboxEnv,
      workspaceMounts: scratch.sharedReadOnly,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    try {
      const signal = options.signal ? { signal: options.signal } : {};
      for (const change of [
        ...changes,
        { name: "the reproduction's files", patch: options.reproduction.patch },
      ]) {
        const failed = await applyPatch(sandbox, change.patch, options);
        if (failed !== undefined) {
          return {
            kind: 'not_restored',
            message: changes.length > 0 ? `${change.name}: ${failed}` : failed,
          };
        }
      }
      const result = await sandbox.run({
        argv: ['bash', '-c', options.reproduction.command],
        cwd: sandbox.workspace,
        timeoutMs: REPRODUCTION_TIMEOUT_MS,
        ...signal,
      });
      options.signal?.throwIfAborted();
      return { kind: 'ran', run: runOf(result, options.redact) };
    } finally {
      await sandbox.close?.();
    }
  } finally {
    await scratch.remove();
  }
}

/** Applies a model-written patch inside the sandbox; undefined, or why it did not apply. */
async function applyPatch(
  sandbox: Sandbox,
  patch: string,
  options: RecheckOptions,
): Promise<string | undefined> {
  if (patch.trim() === '') return undefined;
  const applied = await sandbox.run({
    // The copy belongs to another user inside the sandbox: git checks who owns it.
    argv: ['git', '-c', 'safe.directory=*', 'apply', '--whitespace=nowarn', '-'],
    cwd: sandbox.workspace,
    timeoutMs: APPLY_TIMEOUT_MS,
    stdin: patch.endsWith('\n') ? patch : `${patch}\n`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.signal?.throwIfAborted();
  if (applied.exitCode === 0) return undefined;
  const first = options.redact(applied.output).trim().split('\n')[0] ?? '';
  return first.slice(0, 300) || 'git apply failed';
}

function runOf(result: CommandResult, redact: (text: string) => string): ReproductionRun {
  return {
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    ...reproductionOutput(result, redact),
  };
}

function describeExit(run: ReproductionRun): string {
  if (run.timedOut) return 'timed out';
  if (run.exitCode === null) return 'was killed';
  if (run.exitCode > 128) return `exits ${run.exitCode} (killed by signal ${run.exitCode - 128})`;
  if (run.exitCode > LAST_DELIBERATE_EXIT) return `exits ${run.exitCode} (could not run)`;
  return `exits ${run.exitCode}`;
}
