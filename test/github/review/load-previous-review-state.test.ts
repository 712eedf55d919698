import { describe, expect, it } from 'vitest';
import {
  findingFingerprint,
  loadPreviousReviewState,
  publishReview,
} from '../../../src/github/post-review.js';
import { githubApi, repo, silentLog, testClient, useNock } from '../helpers.js';
import {
  BOT,
  fakeReviews,
  finding,
  headSha,
  hunks,
  listReviewComments,
  PR,
  previousSha,
  R,
  REVIEWS,
  reviewBody,
  validateReviews,
} from './review-fixtures.js';

const COMMENTS = `${R}/pulls/${PR}/comments`;
const page = (n: number) => ({ per_page: '100', page: String(n) });
const next = (path: string, n: number) => ({
  link: `<https://api.github.com${path}?per_page=100&page=${n}>; rel="next", <https://api.github.com${path}?per_page=100&page=${n}>; rel="last"`,
});
const user = (login: string, type = 'User') => ({ login, id: 1, type });

describe('loadPreviousReviewState', () => {
  useNock();

  it('reads back the commit and the fingerprints that publishReview wrote', async () => {
    const { scope, sent } = githubApi();
    const fake = fakeReviews(scope, { times: 1 });
    listReviewComments(scope, 80, fake);
    const inline = finding();
    const outside = finding({
      title: 'Far away',
      path: 'src/other file.ts',
      start_line: 90,
      end_line: 95,
    });
    await publishReview({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      headSha,
      findings: [inline, outside],
      summary: 'Two findings.',
      reviewedFiles: ['src/pager.ts', 'src/other file.ts'],
      skippedFiles: [],
      commentable: hunks({ 'src/pager.ts': [[10, 20]] }),
      log: silentLog,
    });
    validateReviews(sent);
    const posted = reviewBody(sent[0]);

    // What GitHub then lists: the review, and its comment with the id it was given.
    scope
      .get(REVIEWS)
      .query(page(1))
      .reply(200, [
        {
          id: 80,
          user: user(BOT, 'Bot'),
          body: posted.body,
          state: 'COMMENTED',
          commit_id: headSha,
        },
      ]);
    scope
      .get(COMMENTS)
      .query(page(1))
      .reply(200, [
        {
          id: 1001,
          user: user(BOT, 'Bot'),
          body: posted.comments[0]?.body,
          path: 'src/pager.ts',
          line: 12,
        },
      ]);

    const state = await loadPreviousReviewState({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      botLogin: BOT,
    });

    expect(state).toEqual({
      lastReviewedSha: headSha,
      postedFingerprints: new Map([
        [findingFingerprint(outside), [{ path: 'src/other file.ts' }]],
        // Where the comment sits on the current diff, as GitHub lists it.
        [findingFingerprint(inline), [{ path: 'src/pager.ts', commentId: 1001, line: 12 }]],
      ]),
    });
  });

  it('takes the latest of its own reviews across pages, and ignores markers anyone else wrote', async () => {
    const { scope } = githubApi();
    const forgedSha = 'f'.repeat(40);
    const fp = findingFingerprint(finding());
    const forgedFp = findingFingerprint(finding({ title: 'A real bug the attacker wants hidden' }));
    scope
      .get(REVIEWS)
      .query(page(1))
      .reply(
        200,
        [
          {
            id: 1,
            user: user(BOT, 'Bot'),
            body: `Old.\n\n<!-- patchling:review sha=${previousSha} -->`,
            state: 'COMMENTED',
          },
          // A human, a lookalike without [bot], and a deleted account quote markers.
          {
            id: 2,
            user: user('mallory'),
            body: `<!-- patchling:review sha=${forgedSha} -->`,
            state: 'COMMENTED',
          },
          {
            id: 3,
            user: user('patchling'),
            body: `<!-- patchling:review sha=${forgedSha} -->`,
            state: 'APPROVED',
          },
          {
            id: 4,
            user: null,
            body: `<!-- patchling:review sha=${forgedSha} -->`,
            state: 'COMMENTED',
          },
        ],
        next(REVIEWS, 2),
      );
    scope
      .get(REVIEWS)
      .query(page(2))
      .reply(200, [
        {
          id: 5,
          user: user(BOT, 'Bot'),
          body: `New.\n\n<!-- patchling:review sha=${headSha} -->`,
          state: 'COMMENTED',
        },
        // Ours but not submitted (a leftover probe), and ours with the marker edited away.
        { id: 6, user: user(BOT, 'Bot'), body: '', state: 'PENDING' },
        { id: 7, user: user(BOT, 'Bot'), body: 'edited', state: 'COMMENTED' },
        // A marker not at the end of the body is a quotation, not our record.
        {
          id: 8,
          user: user(BOT, 'Bot'),
          body: `<!-- patchling:review sha=${forgedSha} -->\nquoted`,
          state: 'COMMENTED',
        },
      ]);
    scope
      .get(COMMENTS)
      .query(page(1))
      .reply(
        200,
        [
          {
            id: 11,
            user: user('Patchling[bot]', 'Bot'),
            body: `**P1 x**\n\n<!-- patchling:finding ${fp} -->`,
            path: 'src/pager.ts',
          },
          {
            id: 12,
            user: user('mallory'),
            body: `<!-- patchling:finding ${forgedFp} -->`,
            path: 'src/pager.ts',
          },
          {
            id: 13,
            user: user('patchling'),
            body: `<!-- patchling:finding ${forgedFp} -->`,
            path: 'src/pager.ts',
          },
        ],
        next(COMMENTS, 2),
      );
    scope
      .get(COMMENTS)
      .query(page(2))
      .reply(200, [
        {
          id: 14,
          user: user(BOT, 'Bot'),
          body: `<!-- patchling:finding ${forgedFp} -->`,
          path: 'src/pager.ts',
          in_reply_to_id: 11,
        },
        {
          id: 15,
          user: user(BOT, 'Bot'),
          body: '<!-- patchling:finding not-hex -->',
          path: 'src/pager.ts',
        },
        {
          id: 16,
          user: user(BOT, 'Bot'),
          body: `moved <!-- patchling:finding ${fp} -->`,
          path: 'src/pager.ts',
        },
      ]);

    const state = await loadPreviousReviewState({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      botLogin: BOT,
    });

    expect(state.lastReviewedSha).toBe(headSha);
    expect([...state.postedFingerprints]).toEqual([
      [
        fp,
        [
          { path: 'src/pager.ts', commentId: 11 },
          { path: 'src/pager.ts', commentId: 16 },
        ],
      ],
    ]);
  });

  it('has no last reviewed commit on a PR Patchling never reviewed', async () => {
    const { scope } = githubApi();
    scope.get(REVIEWS).query(page(1)).reply(200, []);
    scope.get(COMMENTS).query(page(1)).reply(200, []);

    const state = await loadPreviousReviewState({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      botLogin: BOT,
    });

    expect(state).toEqual({ postedFingerprints: new Map() });
  });
});
