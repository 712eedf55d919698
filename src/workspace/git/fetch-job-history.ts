import { SystemError } from '../../errors.js';
import { findMergeBase } from './find-merge-base.js';
import { runGit } from './run-git.js';
import type { GitContext } from './run-git.js';

/** Where the fetched head is kept: outside refs/heads, so no branch is checked out. */
export const HEAD_REF = 'refs/patchling/head';

/** Rounds of `--deepen` before a shallow workspace fetches the whole history. */
const MAX_DEEPEN_ROUNDS = 6;

const FILTER_IGNORED = /filtering not recognized by server/;

/**
 * `partial`: every commit and tree of the head and base, blobs fetched on demand (the
 * server supports `--filter=blob:none`). `shallow`: complete snapshots, history deepened
 * until the merge base appears (servers without filters). `full`: everything, from a git
 * cache mirror of a server without filters.
 */
export type HistoryMode = 'partial' | 'shallow' | 'full';

export interface FetchPlan {
  /** The head by id; fetched directly when the server allows it. */
  readonly headSha?: string | undefined;
  /** The head by name, e.g. `refs/pull/7/head`; the fallback when `headSha` is given. */
  readonly headRef?: string | undefined;
  /** The base branch (no `refs/heads/`), fetched to origin/<base> for the merge base. */
  readonly baseBranch?: string | undefined;
  /** Depth of the first fetch and step of each `--deepen` in the shallow fallback. */
  readonly depth: number;
}

export interface FetchedHistory {
  readonly mode: HistoryMode;
  readonly headSha: string;
  readonly mergeBase?: string | undefined;
}

export function baseTrackingRef(baseBranch: string): string {
  return `refs/remotes/origin/${baseBranch}`;
}

/**
 * Fetches what a job needs into a fresh repository whose `origin` is set: the head and,
 * with a base branch, enough history for their merge base. The first fetch asks for a
 * blobless partial clone at `depth`; it is also the probe: if git warns that the server
 * ignored the filter, the workspace continues as a shallow clone (its snapshots are
 * already there) and deepens until the merge base shows up. If the filter worked, the
 * rest of the commit history is fetched, still without blobs.
 */
export async function fetchJobHistory(
  context: GitContext,
  plan: FetchPlan,
): Promise<FetchedHistory> {
  const base = plan.baseBranch;
  const refspecs = (head: string) => [
    `+${head}:${HEAD_REF}`,
    ...(base ? [`+refs/heads/${base}:${baseTrackingRef(base)}`] : []),
  ];
  const fetch = (
    action: string,
    options: string[],
    head: string,
    onStderr?: (text: string) => void,
  ) =>
    runGit(
      context,
      action,
      (git) =>
        git.raw([
          'fetch',
          '--progress',
          '--no-tags',
          '--no-recurse-submodules',
          ...options,
          '--',
          'origin',
          ...refspecs(head),
        ]),
      onStderr ? { onStderr } : {},
    );

  const sources = [plan.headSha, plan.headRef].filter((source) => source !== undefined);
  let stderr = '';
  let headSource = '';
  for (const [index, source] of sources.entries()) {
    stderr = '';
    headSource = source;
    try {
      await fetch(
        'Fetching the head',
        ['--filter=blob:none', `--depth=${plan.depth}`],
        source,
        (text) => {
          stderr += text;
        },
      );
      break;
    } catch (error) {
      // A server may refuse a commit by id that it serves by name.
      if (index === sources.length - 1) throw error;
    }
  }
  const mode: HistoryMode = FILTER_IGNORED.test(stderr) ? 'shallow' : 'partial';

  return runGit(context, 'Fetching the history', async (git) => {
    const headSha = (await git.raw(['rev-parse', '--verify', `${HEAD_REF}^{commit}`])).trim();
    if (plan.headSha && plan.headSha !== headSha) {
      throw new SystemError(
        `${plan.headRef ?? 'The head'} points at ${headSha}, not ${plan.headSha}: it moved after the job started.`,
      );
    }
    const isShallow = async () =>
      (await git.raw(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
    const mergeBase = () =>
      base ? findMergeBase(git, HEAD_REF, baseTrackingRef(base)) : Promise.resolve(undefined);

    if (mode === 'partial') {
      if (await isShallow()) {
        await fetch('Fetching the history', ['--filter=blob:none', '--unshallow'], headSource);
      }
      return { mode, headSha, mergeBase: await mergeBase() };
    }

    // The server ignored the filter: stop asking for it (git fetch --filter made origin
    // a promisor remote), then deepen until the merge base is in.
    await git.raw(['config', '--unset-all', 'remote.origin.promisor']);
    await git.raw(['config', '--unset-all', 'remote.origin.partialclonefilter']);
    if (!base) return { mode, headSha };
    for (let round = 0; round <= MAX_DEEPEN_ROUNDS; round++) {
      const found = await mergeBase();
      if (found || !(await isShallow())) return { mode, headSha, mergeBase: found };
      const last = round === MAX_DEEPEN_ROUNDS;
      await fetch(
        last ? 'Fetching the whole history' : 'Deepening the history',
        [last ? '--unshallow' : `--deepen=${plan.depth}`],
        headSource,
      );
    }
    return { mode, headSha, mergeBase: await mergeBase() };
  });
}
