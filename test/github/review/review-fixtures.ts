import type nock from 'nock';
import type { PublishableFinding } from '../../../src/github/post-review.js';
import type { CommentableCheck } from '../../../src/github/review/types.js';
import { expectValidGitHubRequest } from '../../support/github-schemas.js';
import { withBody } from '../../support/nock-request.js';
import { repo, silentLog, type Sent } from '../helpers.js';

export const R = '/repos/octo-org/hello-world';
export const PR = 7;
export const REVIEWS = `${R}/pulls/${PR}/reviews`;
export const CREATE_REVIEW = '/repos/{owner}/{repo}/pulls/{pull_number}/reviews';
export const headSha = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
export const previousSha = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9';
export const BOT = 'patchling[bot]';

export function finding(overrides: Partial<PublishableFinding> = {}): PublishableFinding {
  return {
    title: 'Off-by-one in page count',
    explanation: 'The last page is never fetched when `total` is a multiple of `size`.',
    priority: 'P1',
    confidence: 0.9,
    path: 'src/pager.ts',
    start_line: 12,
    end_line: 12,
    suggestion: null,
    verifiedSuggestion: false,
    ...overrides,
  };
}

/**
 * The diff's hunks (new side) per file. A range inside one hunk is commentable as is; one
 * that overlaps a hunk is narrowed to the overlap; anything else is outside the diff.
 */
export function hunks(byPath: Record<string, [number, number][]>): CommentableCheck {
  return (path, startLine, endLine) => {
    for (const [first, last] of byPath[path] ?? []) {
      const start = Math.max(first, startLine);
      const end = Math.min(last, endLine);
      if (start <= end) return { ok: true, startLine: start, line: end };
    }
    return { ok: false, reason: `lines ${startLine}-${endLine} are outside the diff` };
  };
}

export interface ReviewComment {
  path: string;
  line: number;
  side: string;
  start_line?: number;
  start_side?: string;
  body: string;
}
export interface ReviewBody {
  commit_id: string;
  event?: string;
  body?: string;
  comments: ReviewComment[];
}
export const reviewBody = (s: Sent | undefined) => s?.body as ReviewBody;

/**
 * GitHub's create-review endpoint as it behaves: the whole review is refused (422, "Line
 * could not be resolved", without saying which comment) if any comment is on a refused
 * line; otherwise it is created with the next id. A submitted review's comments are kept,
 * so `GET /reviews/{id}/comments` lists them with ids 1001, 1002, …
 */
export function fakeReviews(
  scope: nock.Scope,
  options: { times: number; refuse?: (comment: ReviewComment) => boolean; firstId?: number },
): { submitted: Map<number, ReviewComment[]> } {
  const submitted = new Map<number, ReviewComment[]>();
  let nextId = options.firstId ?? 80;
  let nextCommentId = 1001;
  scope
    .post(REVIEWS)
    .times(options.times)
    .reply(
      withBody((requestBody) => {
        const body = requestBody as ReviewBody;
        if (body.comments.some((comment) => options.refuse?.(comment) ?? false)) {
          return [
            422,
            {
              message: 'Unprocessable Entity',
              errors: ['Line could not be resolved'],
              documentation_url:
                'https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request',
              status: '422',
            },
          ];
        }
        const id = nextId++;
        if (body.event) {
          submitted.set(
            id,
            body.comments.map((comment) => ({ ...comment, id: nextCommentId++ })),
          );
        }
        return [200, reviewResponse(id, body)];
      }),
    );
  return { submitted };
}

/** The shape GitHub answers a created review with (trimmed to what matters). */
export function reviewResponse(id: number, body: ReviewBody) {
  return {
    id,
    node_id: `PRR_kwDO${id}`,
    user: { login: BOT, id: 41898282, type: 'Bot' },
    body: body.body ?? '',
    state: body.event ? 'COMMENTED' : 'PENDING',
    html_url: `https://github.com/octo-org/hello-world/pull/${PR}#pullrequestreview-${id}`,
    pull_request_url: `https://api.github.com/repos/octo-org/hello-world/pulls/${PR}`,
    commit_id: body.commit_id,
    author_association: 'NONE',
  };
}

/** Every create-review body checked against GitHub's schema. */
export function validateReviews(sent: readonly Sent[]): void {
  for (const s of sent) {
    if (s.method === 'POST' && s.path === REVIEWS)
      expectValidGitHubRequest('POST', CREATE_REVIEW, s.body);
    else if (s.body !== undefined) throw new Error(`unchecked body sent to ${s.method} ${s.path}`);
  }
}

/** `GET /pulls/{n}/reviews/{id}/comments` answered from what fakeReviews kept. */
export function listReviewComments(
  scope: nock.Scope,
  reviewId: number,
  fake: { submitted: Map<number, ReviewComment[]> },
): void {
  scope
    .get(`${REVIEWS}/${reviewId}/comments`)
    .query({ per_page: '100', page: '1' })
    .reply(() => [200, fake.submitted.get(reviewId) ?? []]);
}

/** publishReview's options but the client and the findings: two files, three hunks. */
export const publishBase = {
  repo,
  pullNumber: PR,
  headSha,
  summary: 'Adds pagination to the listing endpoint. One real bug found.',
  reviewedFiles: ['src/pager.ts', 'src/cache.ts'],
  skippedFiles: [],
  commentable: hunks({
    'src/pager.ts': [[10, 20]],
    'src/cache.ts': [
      [1, 5],
      [30, 40],
    ],
  }),
  log: silentLog,
};
