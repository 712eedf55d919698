import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Budgets } from '../../agent/run-agent.js';
import { describeError } from '../../errors.js';
import type { ModelConfig } from '../../model/model-config.js';
import type { RepoConfig } from '../../jobs/repo-config.js';
import { attemptFindingFix } from '../../jobs/scan/attempt-finding-fix.js';
import { selectFixableFindings } from '../../jobs/scan/fixable-findings.js';
import { trackBudget } from '../../jobs/scan/scan-budget.js';
import type { ScanResult } from '../../jobs/scan/scan-repository.js';
import { diffAgainst } from '../../workspace/git/diff-against.js';

/** One finding's local fix: the patch written, or why there is none. */
export type LocalFindingFix =
  | {
      readonly fingerprint: string;
      readonly title: string;
      readonly status: 'proven';
      readonly reason: string;
      readonly patch: string;
    }
  | {
      readonly fingerprint: string;
      readonly title: string;
      readonly status: 'not_proven' | 'not_attempted';
      readonly reason: string;
    };

export interface LocalScanFixes {
  readonly fixes: readonly LocalFindingFix[];
  /** Why none was attempted, when none was. */
  readonly note?: string;
}

/**
 * `patchling scan --fix`: the App's scan.fix without publishing. Each reproduced finding
 * at or above scan.fix_at (every finding is new here: there is no code scanning to compare
 * with), at most MAX_FIX_ATTEMPTS_PER_SCAN, is fixed on a scratch copy and proven as the
 * App proves it; a proven fix is written as a patch beside the scan's artefacts. The
 * user's checkout is never changed: they `git apply` what they want.
 */
export async function fixFindingsLocally(options: {
  readonly result: ScanResult;
  readonly workspace: string;
  readonly config: RepoConfig;
  readonly budgets: Budgets;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secrets: readonly string[];
  readonly redact: (text: string) => string;
  readonly excludesFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress: (text: string) => void;
  readonly onWarning: (message: string) => void;
}): Promise<LocalScanFixes> {
  const { result, config } = options;
  const selection = selectFixableFindings(result.findings, config.scan.fix_at);
  if (selection.chosen.length === 0) {
    return {
      fixes: [],
      note: `No finding was reproduced at ${config.scan.fix_at} or above (scan.fix_at): nothing to fix.`,
    };
  }
  if (result.status !== 'completed') {
    return { fixes: [], note: 'No fixes were attempted: the scan was cut short.' };
  }
  const budget = trackBudget(
    {
      maxTurnsPerRun: options.budgets.maxTurns,
      maxTokens: options.budgets.maxTokens,
      deadlineAt: options.budgets.deadlineAt,
    },
    Date.now,
  );
  budget.spend(result.usage);
  const dir = path.join(result.artefactsDir, 'fixes');
  const fixes: LocalFindingFix[] = [];
  let index = 0;
  for (const finding of selection.chosen) {
    index += 1;
    const about = { fingerprint: finding.fingerprint, title: finding.title };
    const next = budget.next(1);
    if (!next.ok) {
      fixes.push({ ...about, status: 'not_attempted', reason: next.reason });
      continue;
    }
    options.onProgress(`fixing ${index} of ${selection.chosen.length}: ${finding.title}`);
    try {
      const attempt = await attemptFindingFix(
        {
          finding,
          workspace: options.workspace,
          head: result.head,
          repository: 'this checkout',
          config,
          modelConfig: options.modelConfig,
          stateDir: options.stateDir,
          env: options.env,
          secrets: options.secrets,
          budgets: next.budgets,
          redact: options.redact,
          // Nothing is pushed from here: the workflows rule guards the App's permissions.
          allowWorkflowChanges: true,
          excludesFile: options.excludesFile,
          signal: options.signal,
          onWarning: options.onWarning,
        },
        async (proven) => {
          const patch = await diffAgainst({
            dir: proven.dir,
            base: result.head,
            binary: true,
            excludesFile: options.excludesFile,
            signal: options.signal,
          });
          await mkdir(dir, { recursive: true });
          const file = path.join(dir, `${finding.fingerprint}.patch`);
          await writeFile(file, patch);
          return { file, reason: proven.recheck.reason };
        },
      );
      if (attempt.fix) budget.spend(attempt.fix.usage);
      fixes.push(
        attempt.kind === 'proven'
          ? { ...about, status: 'proven', reason: attempt.value.reason, patch: attempt.value.file }
          : { ...about, status: 'not_proven', reason: attempt.reason },
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      fixes.push({
        ...about,
        status: 'not_proven',
        reason: options.redact(`the fix failed: ${describeError(error)}`),
      });
    }
  }
  for (const { finding, reason } of selection.deferred) {
    fixes.push({
      fingerprint: finding.fingerprint,
      title: finding.title,
      status: 'not_attempted',
      reason,
    });
  }
  return { fixes };
}

export function formatLocalFixes(local: LocalScanFixes): string {
  const lines = ['Fixes (--fix):'];
  if (local.note) lines.push(`  ${local.note}`);
  for (const fix of local.fixes) {
    switch (fix.status) {
      case 'proven':
        lines.push(`  ${fix.title}: fixed, ${fix.reason}. Patch: ${fix.patch} (git apply it)`);
        break;
      case 'not_proven':
        lines.push(`  ${fix.title}: not fixed: ${fix.reason}`);
        break;
      case 'not_attempted':
        lines.push(`  ${fix.title}: not attempted: ${fix.reason}`);
        break;
      default: {
        const unhandled: never = fix;
        throw new Error(`unknown fix ${JSON.stringify(unhandled)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
