import { describe, expect, it } from 'vitest';
import { findingFingerprint, publishReview } from '../../src/github/post-review.js';
import { MAX_PROBES } from '../../src/github/review/find-refused-comments.js';
import { githubApi, testClient, useNock } from './helpers.js';
import {
  fakeReviews,
  finding,
  listReviewComments,
  publishBase as base,
  REVIEWS,
  reviewBody,
  validateReviews,
} from './review/review-fixtures.js';

/**
 * GitHub refuses a whole review (422) when one comment is off its idea of the diff, and does
 * not say which. These tests protect: nothing is lost, nothing is posted twice, and the
 * probes stay invisible and bounded.
 */
describe('publishReview when GitHub refuses the review', () => {
  useNock();

  it('keeps every other comment when GitHub refuses one, and moves the refused one to the summary', async () => {
    const { scope, sent } = githubApi();
    // GitHub's line resolution disagrees with our diff about src/cache.ts:33.
    const fake = fakeReviews(scope, {
      times: 6,
      firstId: 81,
      refuse: (c) => c.path === 'src/cache.ts' && c.line === 33,
    });
    scope.delete(`${REVIEWS}/81`).reply(204);
    scope.delete(`${REVIEWS}/82`).reply(204);
    listReviewComments(scope, 83, fake);
    const a = finding();
    const refused = finding({
      title: 'Lock never released',
      path: 'src/cache.ts',
      start_line: 33,
      end_line: 33,
    });
    const c = finding({
      title: 'Wrong cache key',
      path: 'src/cache.ts',
      start_line: 3,
      end_line: 4,
    });
    const warnings: string[] = [];

    const result = await publishReview({
      ...base,
      octokit: testClient(),
      findings: [a, refused, c],
      log: { warn: (message) => warnings.push(message) },
    });

    validateReviews(sent);
    const lines = (i: number) =>
      reviewBody(sent[i]).comments.map((comment) => `${comment.path}:${comment.line}`);
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      `POST ${REVIEWS}`, // everything: 422
      `POST ${REVIEWS}`, // probe [a, refused]: 422
      `POST ${REVIEWS}`, // probe [a]: pending review 81
      `DELETE ${REVIEWS}/81`,
      `POST ${REVIEWS}`, // probe [refused]: 422
      `POST ${REVIEWS}`, // probe [c]: pending review 82
      `DELETE ${REVIEWS}/82`,
      `POST ${REVIEWS}`, // the review: 83
      `GET ${REVIEWS}/83/comments?per_page=100&page=1`,
    ]);
    expect(lines(0)).toEqual(['src/pager.ts:12', 'src/cache.ts:33', 'src/cache.ts:4']);
    expect([1, 2, 4, 5].map(lines)).toEqual([
      ['src/pager.ts:12', 'src/cache.ts:33'],
      ['src/pager.ts:12'],
      ['src/cache.ts:33'],
      ['src/cache.ts:4'],
    ]);
    // Probes are pending reviews: no event, no body, nothing anyone sees.
    for (const i of [1, 2, 4, 5]) expect(reviewBody(sent[i])).not.toHaveProperty('event');
    for (const i of [1, 2, 4, 5]) expect(reviewBody(sent[i])).not.toHaveProperty('body');
    const final = reviewBody(sent[7]);
    expect(final.event).toBe('COMMENT');
    expect(final.comments).toEqual([
      reviewBody(sent[0]).comments[0],
      reviewBody(sent[0]).comments[2],
    ]);
    expect(final.body).toContain(
      '- **P1 Lock never released** at `src/cache.ts:33` (GitHub refused the comment: Line could not be resolved)',
    );
    expect(result.reviewId).toBe(83);
    expect(result.posted).toEqual([
      { finding: a, fingerprint: findingFingerprint(a), commentId: 1001 },
      { finding: c, fingerprint: findingFingerprint(c), commentId: 1002 },
    ]);
    expect(result.inSummary).toEqual([
      {
        finding: refused,
        fingerprint: findingFingerprint(refused),
        reason: 'GitHub refused the comment: Line could not be resolved',
      },
    ]);
    expect(warnings).toEqual([
      'GitHub refused the review (Line could not be resolved); checking its comments',
    ]);
  });

  it('posts the review without inline comments, all in the summary, if GitHub refuses it again', async () => {
    const { scope, sent } = githubApi();
    let calls = 0;
    // The first probe is accepted, then GitHub changes its mind (a push moved the PR on).
    fakeReviews(scope, {
      times: 5,
      refuse: (c) => c.line === 33 || (++calls > 2 && c.line === 12),
    });
    scope.delete(`${REVIEWS}/80`).reply(204);
    const a = finding();
    const refused = finding({
      title: 'Lock never released',
      path: 'src/cache.ts',
      start_line: 33,
      end_line: 33,
    });

    const result = await publishReview({ ...base, octokit: testClient(), findings: [a, refused] });

    validateReviews(sent);
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      `POST ${REVIEWS}`,
      `POST ${REVIEWS}`,
      `DELETE ${REVIEWS}/80`,
      `POST ${REVIEWS}`,
      `POST ${REVIEWS}`, // a inline, refused in the summary: 422 again
      `POST ${REVIEWS}`, // no inline comments
    ]);
    const last = reviewBody(sent[5]);
    expect(last.comments).toEqual([]);
    expect(last.body).toContain(
      '**P1 Off-by-one in page count** at `src/pager.ts:12` (GitHub refused the review: Line could not be resolved)',
    );
    expect(last.body).toContain(
      '**P1 Lock never released** at `src/cache.ts:33` (GitHub refused the comment: Line could not be resolved)',
    );
    expect(result.reviewId).toBe(81);
    expect(result.posted).toEqual([]);
    expect(result.inSummary.map((s) => s.finding)).toEqual([a, refused]);
  });

  it('bounds the probes: comments it could not check go to the summary, not lost', async () => {
    const { scope, sent } = githubApi();
    // Our diff is wrong about the whole file: GitHub refuses every comment on it.
    fakeReviews(scope, { times: 1 + MAX_PROBES + 1, refuse: (c) => c.path === 'src/pager.ts' });
    const findings = Array.from({ length: 30 }, (_, i) =>
      finding({ title: `Issue ${i}`, start_line: 10 + (i % 10), end_line: 10 + (i % 10) }),
    );

    const result = await publishReview({ ...base, octokit: testClient(), findings });

    validateReviews(sent);
    expect(sent).toHaveLength(1 + MAX_PROBES + 1);
    expect(reviewBody(sent.at(-1)).comments).toEqual([]);
    expect(result.posted).toEqual([]);
    expect(result.inSummary.map((s) => s.finding)).toEqual(expect.arrayContaining(findings));
    expect(result.inSummary).toHaveLength(30);
    expect(new Set(result.inSummary.map((s) => s.reason))).toEqual(
      new Set([
        'GitHub refused the comment: Line could not be resolved',
        'GitHub refused the review, and there were too many comments to check',
      ]),
    );
    for (const f of findings) expect(reviewBody(sent.at(-1)).body).toContain(`**P1 ${f.title}**`);
  });

  it('fails loudly when a probe review cannot be deleted (it would block every later review)', async () => {
    const { scope, sent } = githubApi();
    fakeReviews(scope, { times: 2, refuse: (c) => c.line === 33 });
    scope.delete(`${REVIEWS}/80`).reply(403, { message: 'Resource not accessible by integration' });
    const findings = [
      finding(),
      finding({ title: 'Lock never released', path: 'src/cache.ts', start_line: 33, end_line: 33 }),
    ];

    await expect(publishReview({ ...base, octokit: testClient(), findings })).rejects.toThrow(
      'could not delete the pending review 80',
    );
    validateReviews(sent);
    expect(sent.map((s) => s.method)).toEqual(['POST', 'POST', 'DELETE']);
  });

  it('throws when GitHub refuses the review for something other than its comments', async () => {
    const { scope, sent } = githubApi();
    scope.post(REVIEWS).reply(422, {
      message: 'Unprocessable Entity',
      errors: ['Can not request changes on your own pull request'],
    });
    fakeReviews(scope, { times: 1 });
    scope.delete(`${REVIEWS}/80`).reply(204);

    await expect(
      publishReview({
        ...base,
        octokit: testClient(),
        findings: [finding()],
        event: 'REQUEST_CHANGES',
      }),
    ).rejects.toThrow(
      'GitHub refused the review, though it accepts each of its comments: Can not request changes on your own pull request',
    );
    validateReviews(sent);
    expect(reviewBody(sent[0]).event).toBe('REQUEST_CHANGES');
    expect(sent).toHaveLength(3);
  });

  it('stops at once, without probing, when a pending review of ours is in the way', async () => {
    const { scope, sent } = githubApi();
    scope.post(REVIEWS).reply(422, {
      message: 'Unprocessable Entity',
      errors: ['User can only have one pending review per pull request'],
    });

    await expect(
      publishReview({ ...base, octokit: testClient(), findings: [finding()] }),
    ).rejects.toThrow(/already has a pending review/);
    validateReviews(sent);
    expect(sent).toHaveLength(1);
  });
});
