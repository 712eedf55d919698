import type { GitHubApi, GitHubRepo } from '../types.js';
import type { ReviewLog } from './types.js';

export interface DismissChangeRequestsOptions {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  readonly pullNumber: number;
  /** Patchling's own reviews still at "changes requested" (PreviousReviewState). */
  readonly reviewIds: readonly number[];
  /** Shown on the pull request with the dismissal. */
  readonly message: string;
  readonly log?: ReviewLog;
}

/**
 * Dismisses Patchling's earlier "changes requested" reviews, so they stop blocking the
 * merge once a later complete review finds nothing at that level. A review GitHub will
 * not dismiss (already dismissed, or the token lacks the right) is logged; the rest go on.
 * Returns the ids dismissed.
 */
export async function dismissChangeRequests(
  options: DismissChangeRequestsOptions,
): Promise<number[]> {
  const dismissed: number[] = [];
  for (const reviewId of options.reviewIds) {
    try {
      await options.octokit.request(
        'PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals',
        {
          owner: options.repo.owner,
          repo: options.repo.repo,
          pull_number: options.pullNumber,
          review_id: reviewId,
          message: options.message,
          event: 'DISMISS',
        },
      );
      dismissed.push(reviewId);
    } catch (error) {
      options.log?.warn(
        `could not dismiss review ${reviewId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return dismissed;
}
