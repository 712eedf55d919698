import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { UserError } from '../../errors.js';
import { assertFullSha, assertRefName, toBranchName } from './check-ref-name.js';
import { baseTrackingRef, fetchJobHistory } from './fetch-job-history.js';
import type { HistoryMode } from './fetch-job-history.js';
import { findMergeBase } from './find-merge-base.js';
import { parseRemoteUrl } from './parse-remote-url.js';
import { fillFromCache, type GitCacheOptions } from './repo-cache.js';
import { runGit } from './run-git.js';
import type { GitContext } from './run-git.js';

/** Depth of the first fetch, and of each deepening, when the server cannot filter. */
export const DEFAULT_FETCH_DEPTH = 50;

/** What to check out: a commit by id, a ref such as `refs/pull/7/head`, or both. */
export type HeadSelector =
  | { readonly headSha: string; readonly ref?: string | undefined }
  | { readonly headSha?: undefined; readonly ref: string };

export type PrepareJobWorkspaceOptions = HeadSelector & {
  /** `https://github.com/owner/repo.git`; never with credentials in it. */
  readonly remoteUrl: string;
  /** The installation token, sent as a header to each git process that needs it. */
  readonly token?: string | undefined;
  /** The base branch (`main` or `refs/heads/main`), fetched for the merge base. */
  readonly baseRef?: string | undefined;
  /** Where the job's own directory is created. */
  readonly parentDir: string;
  readonly signal?: AbortSignal | undefined;
  /** See DEFAULT_FETCH_DEPTH. */
  readonly depth?: number | undefined;
  /** Kill a git process silent for this long (default DEFAULT_GIT_STALL_MS). */
  readonly stallMs?: number | undefined;
  /**
   * A commit reviewed before (an incremental review's starting point). Reported back as
   * `since` only when it is an ancestor of the head; its files are fetched too.
   */
  readonly since?: string | undefined;
  /**
   * A git cache: the job's objects come from this repository's mirror, fetched
   * incrementally, instead of a fetch of its own (see fillFromCache).
   */
  readonly cache?: GitCacheOptions | undefined;
};

export interface JobWorkspace {
  /** The working tree: a fresh directory, real path, HEAD detached at `headSha`. */
  readonly dir: string;
  readonly headSha: string;
  /** The merge base of the head and `origin/<baseRef>`, when a base was asked for and found. */
  readonly mergeBase?: string | undefined;
  /**
   * `options.since`, when it is in the head's history (not after a force-push) and the
   * base branch was not merged in after it (its merge base with the base is unchanged).
   */
  readonly since?: string | undefined;
  /** How the history was fetched (see HistoryMode). */
  readonly history: HistoryMode;
  /** Removes the directory; safe to call more than once. */
  dispose(): Promise<void>;
}

/**
 * Creates one fresh directory under `parentDir` for a job and fetches into it only what
 * the job needs: the head, checked out detached, and with `baseRef` the base branch as
 * `origin/<base>` plus the history down to their merge base (see fetchJobHistory). The
 * token never reaches the URL, `.git/config` or any file in the directory. On failure the
 * directory is removed before the error is thrown.
 */
export async function prepareJobWorkspace(
  options: PrepareJobWorkspaceOptions,
): Promise<JobWorkspace> {
  const remote = parseRemoteUrl(options.remoteUrl);
  if (options.headSha !== undefined) assertFullSha(options.headSha, 'headSha');
  if (options.ref !== undefined) assertRefName(options.ref, 'ref');
  if (options.since !== undefined) assertFullSha(options.since, 'since');
  const baseBranch =
    options.baseRef === undefined ? undefined : toBranchName(options.baseRef, 'baseRef');
  const depth = options.depth ?? DEFAULT_FETCH_DEPTH;
  if (!Number.isInteger(depth) || depth < 1) {
    throw new UserError(`depth must be a positive integer, got ${depth}.`);
  }

  await mkdir(options.parentDir, { recursive: true });
  const dir = await realpath(await mkdtemp(path.join(options.parentDir, 'job-')));
  const dispose = () => rm(dir, { recursive: true, force: true, maxRetries: 3 });
  const context: GitContext = {
    dir,
    auth: { remote, token: options.token },
    signal: options.signal,
    stallMs: options.stallMs,
  };

  try {
    await runGit(context, 'Creating the workspace', async (git) => {
      await git.raw(['init', '--quiet', '--initial-branch=main']);
      await git.raw(['remote', 'add', 'origin', remote.href]);
    });
    const fetched = options.cache
      ? await fillFromCache(context, options.cache, {
          headSha: options.headSha,
          headRef: options.ref,
          baseBranch,
          since: options.since,
        })
      : await fetchJobHistory(context, {
          headSha: options.headSha,
          headRef: options.ref,
          baseBranch,
          depth,
        });
    await runGit(context, 'Checking out the head', async (git) => {
      // In a partial clone this also fetches the head's blobs, hence the token.
      await git.raw(['checkout', '--quiet', '--detach', fetched.headSha]);
      if (fetched.mode === 'partial' && fetched.mergeBase) {
        // Fetch, in one batch, the base versions of the files the head changed, so
        // `git diff <merge base>` works later without network (in the sandbox, say).
        await prefetchDiffBlobs(git, fetched.mergeBase);
      }
    });
    const since =
      options.since === undefined
        ? undefined
        : await runGit(context, 'Finding the last reviewed commit', async (git) => {
            if (!(await isAncestorOfHead(git, options.since as string))) return undefined;
            // The base merged in since: a diff from `since` would show the base's own
            // changes as the author's. The whole change is reviewed instead.
            if (
              baseBranch !== undefined &&
              (await findMergeBase(git, options.since as string, baseTrackingRef(baseBranch))) !==
                fetched.mergeBase
            ) {
              return undefined;
            }
            if (fetched.mode === 'partial') await prefetchDiffBlobs(git, options.since as string);
            return options.since;
          });
    return {
      dir,
      headSha: fetched.headSha,
      mergeBase: fetched.mergeBase,
      since,
      history: fetched.mode,
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function prefetchDiffBlobs(git: SimpleGit, base: string): Promise<string> {
  return git.raw(['diff', '--numstat', '--no-ext-diff', '--no-textconv', base, 'HEAD', '--']);
}

/**
 * Whether `commit` is in HEAD's history. A commit the fetch did not bring (a force-push
 * dropped it) is not: git fails on it, and that is an answer, not an error.
 */
async function isAncestorOfHead(git: SimpleGit, commit: string): Promise<boolean> {
  try {
    return (await findMergeBase(git, commit, 'HEAD')) === commit;
  } catch {
    return false;
  }
}
