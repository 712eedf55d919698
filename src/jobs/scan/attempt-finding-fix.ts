import type { AgentEvent } from '../../agent/events.js';
import type { Budgets } from '../../agent/run-agent.js';
import type { AllowEntry } from '../../egress/allowlist.js';
import type { ModelConfig } from '../../model/model-config.js';
import { fixChanges, type FixChangesResult } from '../fix/fix-changes.js';
import type { RepoConfig } from '../repo-config.js';
import { makeScratchCopy } from '../review/scratch-copy.js';
import { findingFixData, findingFixSubject } from './finding-fix-text.js';
import { recheckReproduction, type RecheckResult } from './recheck-reproduction.js';
import type { Reproduction, ScanFinding } from './scan-finding.js';

export interface AttemptFindingFixOptions {
  readonly finding: ScanFinding;
  /** The scanned checkout (setup done); the fix works on a fresh copy of it. */
  readonly workspace: string;
  /** The scanned commit, and how the repository is called in the task. */
  readonly head: string;
  readonly repository: string;
  readonly config: Pick<RepoConfig, 'fix' | 'sandbox'>;
  readonly agentNetwork?: readonly AllowEntry[] | undefined;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secrets: readonly string[];
  readonly budgets: Budgets;
  readonly redact: (text: string) => string;
  /** The CLI's: nothing is pushed from there, and the user's global excludes apply. */
  readonly allowWorkflowChanges?: boolean | undefined;
  readonly excludesFile?: string | undefined;
  readonly scratchParent?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: ((event: AgentEvent) => void) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** A fix whose reproduction no longer shows the weakness, in `dir` until `use` returns. */
export interface ProvenFix {
  readonly dir: string;
  readonly fix: FixChangesResult;
  readonly reproduction: Reproduction;
  readonly recheck: RecheckResult;
}

export type FindingFixAttempt<T> =
  | { readonly kind: 'proven'; readonly value: T; readonly fix: FixChangesResult }
  | { readonly kind: 'not_proven'; readonly reason: string; readonly fix?: FixChangesResult };

/**
 * One finding's fix, wherever it is published: the fix engine on a fresh copy of the
 * scanned checkout with the finding and its reproduction as data (Patchling's own test
 * run and checks included), then the reproduction restored and run again by Patchling on
 * the scanned commit and on the fix (recheck-reproduction.ts). Only a proven fix reaches
 * `use` (publish it, or write its patch); the copy is removed after.
 */
export async function attemptFindingFix<T>(
  options: AttemptFindingFixOptions,
  use: (proven: ProvenFix) => Promise<T>,
): Promise<FindingFixAttempt<T>> {
  const { finding, config } = options;
  const reproduction = finding.proof.reproduction;
  if (reproduction === undefined) {
    return { kind: 'not_proven', reason: 'it has no reproduction to check a fix with' };
  }
  const scratch = await makeScratchCopy(options.workspace, options.scratchParent);
  try {
    const fix = await fixChanges({
      workspace: scratch.dir,
      base: options.head,
      subject: findingFixSubject(finding, { repository: options.repository, commit: options.head }),
      untrusted: findingFixData(finding, reproduction),
      settings: config.fix,
      sandboxEnv: config.sandbox.env,
      ...(options.agentNetwork ? { agentNetwork: options.agentNetwork } : {}),
      modelConfig: options.modelConfig,
      stateDir: options.stateDir,
      env: options.env,
      secrets: options.secrets,
      budgets: options.budgets,
      ...(options.allowWorkflowChanges === undefined
        ? {}
        : { allowWorkflowChanges: options.allowWorkflowChanges }),
      ...(options.excludesFile ? { excludesFile: options.excludesFile } : {}),
      ...(options.scratchParent ? { scratchParent: options.scratchParent } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    if (fix.status !== 'ready') {
      return { kind: 'not_proven', reason: options.redact(fix.message), fix };
    }
    const recheck = await recheckReproduction({
      originalDir: options.workspace,
      fixedDir: scratch.dir,
      reproduction,
      sandboxEnv: config.sandbox.env,
      redact: options.redact,
      scannedCommit: options.head,
      excludesFile: options.excludesFile,
      scratchParent: options.scratchParent,
      signal: options.signal,
      onWarning: options.onWarning,
    });
    if (recheck.status !== 'gone') {
      return { kind: 'not_proven', reason: `the fix did not remove it: ${recheck.reason}`, fix };
    }
    const value = await use({ dir: scratch.dir, fix, reproduction, recheck });
    return { kind: 'proven', value, fix };
  } finally {
    await scratch.remove();
  }
}
