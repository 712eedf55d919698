import { z } from 'zod';
import type { ReviewTarget } from './create-review.js';
import { parseFindingMarkers } from './markers.js';
import { readAllPages } from './paginate.js';

const reviewComment = z.object({
  id: z.number(),
  body: z.string().nullable().optional(),
  line: z.number().nullable().optional(),
});

/**
 * The ids of a review's inline comments, by `fingerprint:line` (one issue may be commented on
 * at several lines), read from their hidden markers.
 */
export async function reviewCommentIds(
  target: ReviewTarget,
  reviewId: number,
): Promise<Map<string, number>> {
  const comments = await readAllPages(async (page) => {
    const response = await target.octokit.request(
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments',
      {
        owner: target.repo.owner,
        repo: target.repo.repo,
        pull_number: target.pullNumber,
        review_id: reviewId,
        per_page: 100,
        page,
      },
    );
    return { data: z.array(reviewComment).parse(response.data), headers: response.headers };
  });
  const ids = new Map<string, number>();
  for (const comment of comments) {
    const marker = parseFindingMarkers(comment.body).at(-1);
    if (marker !== undefined) ids.set(`${marker.fingerprint}:${comment.line ?? ''}`, comment.id);
  }
  return ids;
}
