import { UserError } from '../errors.js';
import type { ReviewTarget } from './review/create-review.js';
import { isCommitSha } from './review/markers.js';
import { planReview } from './review/plan-review.js';
import { renderReviewBody, type SkippedFile } from './review/render-review-body.js';
import { reviewCommentIds } from './review/review-comment-ids.js';
import { submitReview } from './review/submit-review.js';
import type {
  CommentableCheck,
  PreviousReviewState,
  PublishableFinding,
  PublishedFinding,
  PublishReviewResult,
  ReviewEvent,
  ReviewLog,
} from './review/types.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export { dismissChangeRequests } from './review/dismiss-change-requests.js';
export { findingFingerprint } from './review/fingerprint.js';
export { loadPreviousReviewState } from './review/load-previous-review-state.js';
export { resolveFixedThreads } from './review/resolve-fixed-threads.js';
export type * from './review/types.js';
export type { SkippedFile } from './review/render-review-body.js';

export interface PublishReviewOptions {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  readonly pullNumber: number;
  /** The commit reviewed: the review's commit_id, and recorded in its body. */
  readonly headSha: string;
  readonly findings: readonly PublishableFinding[];
  /** The model's summary (markdown; @mentions and HTML comments are defused). */
  readonly summary: string;
  readonly reviewedFiles: readonly string[];
  readonly skippedFiles: readonly SkippedFile[];
  /**
   * Record headSha as reviewed (the hidden marker the next run starts from). Default true;
   * false for a partial review, so the next run still covers what this one skipped.
   */
  readonly markReviewed?: boolean;
  /** COMMENT unless configured otherwise. */
  readonly event?: ReviewEvent;
  /** Where in the diff a finding's lines can be commented on (checked before posting). */
  readonly commentable: CommentableCheck;
  /** What Patchling posted before (loadPreviousReviewState): those findings are not repeated. */
  readonly previous?: PreviousReviewState;
  readonly log?: ReviewLog;
}

/**
 * Publishes Patchling's review as one GitHub review: the findings inline where the diff
 * allows, the others in the summary with their location, repeats left out. See
 * docs/github-review.md.
 */
export async function publishReview(options: PublishReviewOptions): Promise<PublishReviewResult> {
  if (!isCommitSha(options.headSha)) {
    throw new UserError(`not a commit sha: ${JSON.stringify(options.headSha.slice(0, 80))}`);
  }
  const plan = planReview(options.findings, options.commentable, options.previous);
  const target: ReviewTarget = {
    octokit: options.octokit,
    repo: options.repo,
    pullNumber: options.pullNumber,
    headSha: options.headSha,
  };
  const submitted = await submitReview({
    target,
    event: options.event ?? 'COMMENT',
    comments: plan.inline,
    renderBody: (refused) =>
      renderReviewBody({
        headSha: options.headSha,
        ...(options.markReviewed === false ? { markReviewed: false } : {}),
        summary: options.summary,
        reviewedFiles: options.reviewedFiles,
        skippedFiles: options.skippedFiles,
        inSummary: [...plan.inSummary, ...refused],
      }),
    ...(options.log ? { log: options.log } : {}),
  });
  const ids =
    submitted.accepted.length > 0
      ? await commentIds(target, submitted.reviewId, options.log)
      : new Map<string, number>();
  const posted: PublishedFinding[] = submitted.accepted.map(({ finding, fingerprint, comment }) => {
    const commentId = ids.get(`${fingerprint}:${comment.line}`);
    return commentId === undefined ? { finding, fingerprint } : { finding, fingerprint, commentId };
  });
  return {
    reviewId: submitted.reviewId,
    posted,
    inSummary: [...plan.inSummary, ...submitted.refused],
    skippedAsRepeat: plan.repeats,
    fingerprints: plan.fingerprints,
  };
}

/** The review is posted by now: failing to read its comment ids back loses nothing, so it is only logged. */
async function commentIds(
  target: ReviewTarget,
  reviewId: number,
  log: ReviewLog | undefined,
): Promise<Map<string, number>> {
  try {
    return await reviewCommentIds(target, reviewId);
  } catch (error) {
    log?.warn(
      `could not list the comments of review ${reviewId}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return new Map();
  }
}
