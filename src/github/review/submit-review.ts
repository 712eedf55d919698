import { SystemError } from '../../errors.js';
import { createReview, type ReviewTarget } from './create-review.js';
import { findRefusedComments, pendingReviewInTheWay } from './find-refused-comments.js';
import type { PlannedComment } from './plan-review.js';
import { isPendingReviewConflict, isUnprocessable, refusalDetail } from './refusal.js';
import type { ReviewEvent, ReviewLog, SummarizedFinding } from './types.js';

export interface SubmitReviewInput {
  readonly target: ReviewTarget;
  readonly event: ReviewEvent;
  readonly comments: readonly PlannedComment[];
  /** The body, given the findings GitHub refused inline (they go in its summary). */
  readonly renderBody: (refused: readonly SummarizedFinding[]) => string;
  readonly log?: ReviewLog;
}

export interface SubmittedReview {
  readonly reviewId: number;
  readonly accepted: readonly PlannedComment[];
  readonly refused: readonly SummarizedFinding[];
}

/**
 * Posts one review with every comment. If GitHub refuses it (422), the refused comments are
 * found with pending-review probes (findRefusedComments) and the review is posted once with
 * the others inline and the refused ones in its summary. Should GitHub refuse that too, the
 * review goes out with no inline comments at all, everything in the summary: nothing is lost.
 */
export async function submitReview(input: SubmitReviewInput): Promise<SubmittedReview> {
  const { target, event, comments, renderBody, log } = input;
  const post = (inline: readonly PlannedComment[], refused: readonly SummarizedFinding[]) =>
    createReview(
      target,
      inline.map((planned) => planned.comment),
      { event, body: renderBody(refused) },
    );

  try {
    return { reviewId: await post(comments, []), accepted: comments, refused: [] };
  } catch (error) {
    if (!isUnprocessable(error) || comments.length === 0) throw error;
    if (isPendingReviewConflict(error)) throw pendingReviewInTheWay(error);
    log?.warn(`GitHub refused the review (${refusalDetail(error)}); checking its comments`);
    const outcome = await findRefusedComments(target, comments);
    if (outcome.refused.length === 0 && outcome.unchecked.length === 0) {
      throw new SystemError(
        `GitHub refused the review, though it accepts each of its comments: ${refusalDetail(error)}`,
        { cause: error },
      );
    }
    const refused = [
      ...outcome.refused.map(({ planned, detail }) =>
        summarized(planned, `GitHub refused the comment: ${detail}`),
      ),
      ...outcome.unchecked.map((planned) =>
        summarized(planned, 'GitHub refused the review, and there were too many comments to check'),
      ),
    ];
    try {
      return {
        reviewId: await post(outcome.accepted, refused),
        accepted: outcome.accepted,
        refused,
      };
    } catch (again) {
      if (!isUnprocessable(again)) throw again;
      log?.warn(
        `GitHub refused the review again (${refusalDetail(again)}); posting it without inline comments`,
      );
      const all = [
        ...outcome.accepted.map((planned) =>
          summarized(planned, `GitHub refused the review: ${refusalDetail(again)}`),
        ),
        ...refused,
      ];
      return { reviewId: await post([], all), accepted: [], refused: all };
    }
  }
}

function summarized(planned: PlannedComment, reason: string): SummarizedFinding {
  return { finding: planned.finding, fingerprint: planned.fingerprint, reason };
}
