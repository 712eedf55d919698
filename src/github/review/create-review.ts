import type { GitHubApi, GitHubRepo } from '../types.js';
import type { ReviewCommentInput } from './plan-review.js';
import type { ReviewEvent } from './types.js';

export interface ReviewTarget {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  readonly pullNumber: number;
  readonly headSha: string;
}

/**
 * POST /pulls/{n}/reviews. With an event the review is submitted at once; without one
 * (and without a body) it stays PENDING, visible to nobody but its author.
 */
export async function createReview(
  target: ReviewTarget,
  comments: readonly ReviewCommentInput[],
  submit?: { readonly event: ReviewEvent; readonly body: string },
): Promise<number> {
  const { data } = await target.octokit.request(
    'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
    {
      owner: target.repo.owner,
      repo: target.repo.repo,
      pull_number: target.pullNumber,
      commit_id: target.headSha,
      ...(submit ? { event: submit.event, body: submit.body } : {}),
      comments: comments.map((comment) => ({ ...comment })),
    },
  );
  return Number(data.id);
}

/** Deletes a review that is still PENDING (GitHub refuses to delete a submitted one). */
export async function deletePendingReview(target: ReviewTarget, reviewId: number): Promise<void> {
  await target.octokit.request(
    'DELETE /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}',
    {
      owner: target.repo.owner,
      repo: target.repo.repo,
      pull_number: target.pullNumber,
      review_id: reviewId,
    },
  );
}
