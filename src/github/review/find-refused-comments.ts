import { SystemError } from '../../errors.js';
import { createReview, deletePendingReview, type ReviewTarget } from './create-review.js';
import type { PlannedComment } from './plan-review.js';
import { isPendingReviewConflict, isUnprocessable, refusalDetail } from './refusal.js';

/** Probes allowed per review: ~2 writes each; enough to find a few bad comments among 100s. */
export const MAX_PROBES = 24;

export interface ProbeOutcome {
  readonly accepted: readonly PlannedComment[];
  readonly refused: readonly { readonly planned: PlannedComment; readonly detail: string }[];
  /** Not checked because the probes ran out. */
  readonly unchecked: readonly PlannedComment[];
}

/**
 * GitHub refused a review as a whole (a 422 says that some comment is off the diff, not
 * which). Find out which by bisection with PENDING reviews: a group GitHub accepts is deleted
 * at once and known good; a refused group is split in two until single comments remain.
 * Pending reviews are visible only to their author, so nobody sees the probes. A pending
 * review that cannot be deleted would block every later review, so that is an error.
 */
export async function findRefusedComments(
  target: ReviewTarget,
  comments: readonly PlannedComment[],
): Promise<ProbeOutcome> {
  const accepted: PlannedComment[] = [];
  const refused: { planned: PlannedComment; detail: string }[] = [];
  const unchecked: PlannedComment[] = [];
  let probes = 0;

  const check = async (group: readonly PlannedComment[]): Promise<void> => {
    if (probes >= MAX_PROBES) {
      unchecked.push(...group);
      return;
    }
    probes += 1;
    const detail = await probe(target, group);
    if (detail === undefined) accepted.push(...group);
    else if (group.length === 1 && group[0]) refused.push({ planned: group[0], detail });
    else await split(group);
  };
  const split = async (group: readonly PlannedComment[]): Promise<void> => {
    const middle = Math.ceil(group.length / 2);
    await check(group.slice(0, middle));
    await check(group.slice(middle));
  };

  // The whole set is known to fail; a single comment is still probed alone, since the
  // refusal may have been about something else (the event, say).
  if (comments.length > 1) await split(comments);
  else await check(comments);
  const order = (list: readonly PlannedComment[]) =>
    [...list].sort((a, b) => comments.indexOf(a) - comments.indexOf(b));
  return { accepted: order(accepted), refused, unchecked: order(unchecked) };
}

/** undefined when GitHub accepts the group, else its reason. */
async function probe(
  target: ReviewTarget,
  group: readonly PlannedComment[],
): Promise<string | undefined> {
  let reviewId: number;
  try {
    reviewId = await createReview(
      target,
      group.map((planned) => planned.comment),
    );
  } catch (error) {
    if (isPendingReviewConflict(error)) throw pendingReviewInTheWay(error);
    if (isUnprocessable(error)) return refusalDetail(error);
    throw error;
  }
  try {
    await deletePendingReview(target, reviewId);
  } catch (error) {
    throw new SystemError(
      `could not delete the pending review ${reviewId} used to check comments; it blocks further reviews until deleted`,
      { cause: error },
    );
  }
  return undefined;
}

export function pendingReviewInTheWay(cause: unknown): SystemError {
  return new SystemError(
    'GitHub refused the review because this account already has a pending review on the pull request; delete it (or submit it) and run the review again',
    { cause },
  );
}
