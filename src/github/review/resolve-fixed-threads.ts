import { z } from 'zod';
import type { GitHubApi, GitHubRepo } from '../types.js';
import type { PreviousReviewState, ReviewLog } from './types.js';

/** Pages of 100 threads read at most. */
const MAX_THREAD_PAGES = 20;

export const REVIEW_THREADS_QUERY = `query ($owner: String!, $repo: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}`;

export const RESOLVE_THREAD_MUTATION = `mutation ($threadId: ID!) {
  resolveReviewThread(input: { threadId: $threadId }) { thread { id isResolved } }
}`;

const threadsPage = z.object({
  repository: z.object({
    pullRequest: z.object({
      reviewThreads: z.object({
        pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
        nodes: z.array(
          z.object({
            id: z.string(),
            isResolved: z.boolean(),
            comments: z.object({
              nodes: z.array(z.object({ databaseId: z.number().nullable() }).nullable()),
            }),
          }),
        ),
      }),
    }),
  }),
});

export interface ResolveFixedThreadsOptions {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  readonly pullNumber: number;
  readonly previous: PreviousReviewState;
  /** Fingerprints of every finding of this run, repeats included (PublishReviewResult.fingerprints). */
  readonly stillPresent: ReadonlySet<string>;
  /**
   * The files this run reviewed. A finding on a file it did not look at (an incremental
   * review skips unchanged files) is not absent, only unseen: its thread is left alone.
   */
  readonly reviewedFiles: readonly string[];
  /** Posted in each thread before it is resolved, e.g. "Addressed in 1a2b3c4." */
  readonly reply?: string;
  readonly log?: ReviewLog;
}

export interface ResolvedThread {
  readonly fingerprint: string;
  readonly threadId: string;
  readonly commentId: number;
}

export interface ResolveFixedThreadsResult {
  readonly resolved: readonly ResolvedThread[];
  readonly failed: readonly (ResolvedThread & { readonly reason: string })[];
}

/**
 * Resolves the threads of findings Patchling posted before that this run no longer finds
 * in the files it reviewed. Only threads that start with one of Patchling's own comments are
 * touched, and only unresolved ones. One failed resolution is logged and the rest go on.
 */
export async function resolveFixedThreads(
  options: ResolveFixedThreadsOptions,
): Promise<ResolveFixedThreadsResult> {
  const reviewed = new Set(options.reviewedFiles);
  const gone = new Map<number, string>();
  for (const [fingerprint, refs] of options.previous.postedFingerprints) {
    if (options.stillPresent.has(fingerprint)) continue;
    for (const ref of refs) {
      if (ref.commentId !== undefined && reviewed.has(ref.path))
        gone.set(ref.commentId, fingerprint);
    }
  }
  if (gone.size === 0) return { resolved: [], failed: [] };

  const resolved: ResolvedThread[] = [];
  const failed: (ResolvedThread & { reason: string })[] = [];
  for (const thread of await unresolvedThreads(options)) {
    const fingerprint = gone.get(thread.commentId);
    if (fingerprint === undefined) continue;
    const entry = { fingerprint, threadId: thread.id, commentId: thread.commentId };
    if (options.reply !== undefined) await postReply(options, thread.commentId, options.reply);
    try {
      await options.octokit.graphql(RESOLVE_THREAD_MUTATION, { threadId: thread.id });
      resolved.push(entry);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      options.log?.warn(`could not resolve review thread ${thread.id}: ${reason}`);
      failed.push({ ...entry, reason });
    }
  }
  return { resolved, failed };
}

/** A reply that fails is logged: the thread is resolved all the same. */
async function postReply(
  options: ResolveFixedThreadsOptions,
  commentId: number,
  body: string,
): Promise<void> {
  try {
    await options.octokit.request(
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies',
      {
        owner: options.repo.owner,
        repo: options.repo.repo,
        pull_number: options.pullNumber,
        comment_id: commentId,
        body,
      },
    );
  } catch (error) {
    options.log?.warn(
      `could not reply to review comment ${commentId}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The PR's unresolved threads, each with the database id of its first comment. */
async function unresolvedThreads(
  options: ResolveFixedThreadsOptions,
): Promise<{ id: string; commentId: number }[]> {
  const threads: { id: string; commentId: number }[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_THREAD_PAGES; page += 1) {
    const data = threadsPage.parse(
      await options.octokit.graphql(REVIEW_THREADS_QUERY, {
        owner: options.repo.owner,
        repo: options.repo.repo,
        number: options.pullNumber,
        after,
      }),
    );
    const { nodes, pageInfo } = data.repository.pullRequest.reviewThreads;
    for (const node of nodes) {
      const commentId = node.comments.nodes[0]?.databaseId;
      if (!node.isResolved && typeof commentId === 'number')
        threads.push({ id: node.id, commentId });
    }
    if (!pageInfo.hasNextPage || pageInfo.endCursor === null) break;
    after = pageInfo.endCursor;
  }
  return threads;
}
