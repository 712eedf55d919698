import type { PastAnalyses } from '../../github/sarif/code-scanning-analyses.js';
import { runGit } from '../../workspace/git/run-git.js';
import type { ScanJob } from '../job.js';
import { scanCategory } from './scan-sarif.js';

/** Full, or diff-aware since the commit of the previous scan; with the reason either way. */
export type ScanScopeChoice =
  | { readonly mode: 'full'; readonly reason: string }
  | { readonly mode: 'diff'; readonly since: string; readonly reason: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a scan of the App or the Action is full or diff-aware, before anything is
 * fetched (see docs/scan.md, "Full or diff-aware"):
 * - a scan asked for by hand (`workflow_dispatch`, `/patchling scan`) is full, unless the
 *   command said `/patchling scan diff`;
 * - a scheduled scan is diff-aware since the newest analysis Patchling uploaded for the
 *   ref, unless there is none, or the last full scan is `fullEveryDays` old or older
 *   (diff scans miss flows into unchanged files, so a full one comes round regularly);
 * - `/patchling scan diff` is diff-aware whenever a previous analysis exists.
 * What only the checkout can tell (the commit is not in the head's history after a
 * force-push, too many files changed) is decided by confirmDiffScope.
 */
export function chooseScanScope(input: {
  readonly job: Pick<ScanJob, 'trigger' | 'scope'>;
  readonly past: PastAnalyses;
  readonly now: Date;
  readonly fullEveryDays: number;
}): ScanScopeChoice {
  const { job, past } = input;
  const scheduled = job.trigger === 'schedule' || job.trigger === 'configured_schedule';
  switch (job.trigger) {
    case 'workflow_dispatch':
      return { mode: 'full', reason: 'a scan run by hand is full' };
    case 'comment':
      if (job.scope !== 'diff') return { mode: 'full', reason: '/patchling scan is full' };
      break;
    case 'schedule':
    case 'configured_schedule':
      if (input.fullEveryDays === 0)
        return { mode: 'full', reason: 'scan.full_every_days is 0: every scan is full' };
      break;
    default: {
      const unhandled: never = job.trigger;
      throw new Error(`unknown scan trigger ${String(unhandled)}`);
    }
  }
  if (!past.readable)
    return { mode: 'full', reason: `no previous scan to start from: ${past.reason}` };
  const newest = past.analyses[0];
  if (newest === undefined)
    return { mode: 'full', reason: 'no previous Patchling analysis on this ref' };
  if (scheduled) {
    const fullCategory = scanCategory({ mode: 'full' });
    const lastFull = past.analyses.find((analysis) =>
      sameCategory(analysis.category, fullCategory),
    );
    if (lastFull === undefined) {
      return { mode: 'full', reason: 'no full scan on record among the recent analyses' };
    }
    const age = input.now.getTime() - lastFull.createdAt.getTime();
    if (age >= input.fullEveryDays * DAY_MS) {
      return {
        mode: 'full',
        reason: `the last full scan is ${Math.floor(age / DAY_MS)} days old (scan.full_every_days: ${input.fullEveryDays})`,
      };
    }
  }
  return {
    mode: 'diff',
    since: newest.commitSha,
    reason: `diff-aware since ${newest.commitSha.slice(0, 7)}, the commit of the previous scan`,
  };
}

/**
 * The checkout's word on a diff-aware choice: `since` as the workspace reported it
 * (undefined when the commit is not in the head's history: a force-push, or older than
 * the history fetched), and no more than `maxFiles` files changed since it.
 */
export async function confirmDiffScope(input: {
  readonly choice: ScanScopeChoice;
  readonly workspace: string;
  /** prepareJobWorkspace's `since`: present only when it is an ancestor of the head. */
  readonly since: string | undefined;
  readonly maxFiles: number;
  readonly signal?: AbortSignal | undefined;
}): Promise<ScanScopeChoice> {
  const { choice } = input;
  if (choice.mode === 'full') return choice;
  if (input.since !== choice.since) {
    return {
      mode: 'full',
      reason: `the previous scan's commit ${choice.since.slice(0, 7)} is not in the history of the head (force-pushed, or beyond the history fetched)`,
    };
  }
  const names = await runGit(
    { dir: input.workspace, signal: input.signal },
    'Counting the files changed since the last scan',
    (git) => git.raw(['diff', '--name-only', '--no-renames', '-z', choice.since, 'HEAD']),
  );
  const changed = names.split('\0').filter((name) => name !== '').length;
  if (changed > input.maxFiles) {
    return {
      mode: 'full',
      reason: `${changed} files changed since ${choice.since.slice(0, 7)}, more than scan.diff_max_files (${input.maxFiles})`,
    };
  }
  return choice;
}

/** GitHub reports the category with or without the trailing slash of automationDetails.id. */
function sameCategory(reported: string, category: string): boolean {
  return reported.replace(/\/+$/, '') === category;
}
