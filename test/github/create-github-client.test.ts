import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GitHubRateLimitError } from '../../src/github/errors.js';
import { postComment } from '../../src/github/post-comment.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { githubApi, repo, testClient, TOKEN, useNock } from './helpers.js';

const COMMENTS = '/repos/octo-org/hello-world/issues/7/comments';
const COMMENTS_ROUTE = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const created = {
  id: 101,
  html_url: 'https://github.com/octo-org/hello-world/issues/7#issuecomment-101',
};
const secondaryLimit = {
  message:
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
};
const primaryLimit = {
  message: 'API rate limit exceeded for installation ID 1.',
  documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
};
const resetIn = (seconds: number) => String(Math.floor(Date.now() / 1000) + seconds);

describe('createGitHubClient', () => {
  useNock();

  it('waits out a secondary rate limit for as long as retry-after says, reports the wait, and succeeds', async () => {
    const { scope, sent } = githubApi();
    scope.post(COMMENTS).reply(403, secondaryLimit, { 'retry-after': '12' });
    scope.post(COMMENTS).reply(201, created);
    const octokit = testClient();

    const comment = await postComment(octokit, repo, 7, 'Hello');

    expect(comment).toEqual({ id: 101, url: created.html_url });
    expect(octokit.waits).toEqual([
      { kind: 'secondary', retryAfterSeconds: 12, attempt: 1, request: `POST ${COMMENTS_ROUTE}` },
    ]);
    expect(sent.map((s) => s.body)).toEqual([{ body: 'Hello' }, { body: 'Hello' }]);
    expectValidGitHubRequest('POST', COMMENTS_ROUTE, sent[0]?.body);
  });

  it('also waits out a secondary limit sent as 429, several times in a row', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).reply(429, secondaryLimit, { 'retry-after': '3' });
    scope.post(COMMENTS).reply(403, secondaryLimit);
    scope.post(COMMENTS).reply(201, created);
    const octokit = testClient();

    await postComment(octokit, repo, 7, 'Hello');

    // Without retry-after GitHub asks for a minute.
    expect(octokit.waits.map((w) => [w.retryAfterSeconds, w.attempt])).toEqual([
      [3, 1],
      [60, 2],
    ]);
  });

  it('gives up on a secondary limit after the allowed waits, with a GitHubRateLimitError', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).times(3).reply(403, secondaryLimit, { 'retry-after': '1' });
    const octokit = testClient({
      throttle: {
        onRateLimit: () => undefined,
        onSecondaryRateLimit: () => undefined,
        maxSecondaryRateLimitRetries: 2,
        writeIntervalMs: 0,
      },
    });

    const error = await postComment(octokit, repo, 7, 'Hello').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(error).toMatchObject({ kind: 'secondary', status: 403, retryable: true });
  });

  it('waits for the primary rate limit to reset once, then retries', async () => {
    const { scope } = githubApi();
    scope
      .post(COMMENTS)
      .reply(403, primaryLimit, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn(5) });
    scope.post(COMMENTS).reply(201, created);
    const octokit = testClient();

    await postComment(octokit, repo, 7, 'Hello');

    expect(octokit.waits).toHaveLength(1);
    expect(octokit.waits[0]).toMatchObject({ kind: 'primary', attempt: 1 });
    expect(octokit.waits[0]?.retryAfterSeconds).toBeGreaterThanOrEqual(5);
    expect(octokit.waits[0]?.retryAfterSeconds).toBeLessThanOrEqual(7);
  });

  it('fails at once, saying when the limit resets, when the primary limit resets too late', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).reply(403, primaryLimit, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': resetIn(3000),
    });
    const octokit = testClient();

    const error = await postComment(octokit, repo, 7, 'Hello').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect((error as GitHubRateLimitError).kind).toBe('primary');
    expect((error as Error).message).toMatch(
      /^GitHub's API rate limit is used up, so POST \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\}\/comments failed\. It resets at .+Z \(in 50 min\)\.$/,
    );
    expect(octokit.waits).toEqual([]);
  });

  it('retries a 5xx with backoff', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).reply(502, 'Bad Gateway');
    scope.post(COMMENTS).reply(503, { message: 'Service Unavailable' });
    scope.post(COMMENTS).reply(201, created);

    await expect(postComment(testClient(), repo, 7, 'Hello')).resolves.toMatchObject({ id: 101 });
  });

  it('does not retry a 5xx when retries are off', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).reply(500, { message: 'Server Error' });

    await expect(postComment(testClient({ retries: 0 }), repo, 7, 'Hello')).rejects.toMatchObject({
      status: 500,
    });
  });

  it('does not retry a 422: the request itself is wrong', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).reply(422, { message: 'Validation Failed' });

    await expect(postComment(testClient(), repo, 7, 'Hello')).rejects.toMatchObject({
      status: 422,
    });
  });

  it('gives up on an attempt that hangs and tries again', async () => {
    const { scope } = githubApi();
    // No headers for 2 s (nock 15's .delay() holds back only the body).
    scope.post(COMMENTS).reply(async () => {
      await sleep(2_000);
      return [201, { id: 1, html_url: 'late' }];
    });
    scope.post(COMMENTS).reply(201, created);

    const comment = await postComment(testClient({ requestTimeoutMs: 100 }), repo, 7, 'Hello');

    expect(comment.id).toBe(101);
  });

  it('fails a rate limit at once when throttling is off', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).reply(403, secondaryLimit, { 'retry-after': '1' });
    const octokit = testClient({
      throttle: {
        enabled: false,
        onRateLimit: () => undefined,
        onSecondaryRateLimit: () => undefined,
      },
    });

    await expect(postComment(octokit, repo, 7, 'Hello')).rejects.toBeInstanceOf(
      GitHubRateLimitError,
    );
  });

  it('keeps its write limiter to itself: writes are not spaced by the plugin-wide 1 s gap', async () => {
    const { scope } = githubApi();
    scope.post(COMMENTS).times(4).reply(201, created);
    const first = testClient();
    const second = testClient();
    const started = Date.now();

    await Promise.all([
      postComment(first, repo, 7, 'a'),
      postComment(first, repo, 7, 'b'),
      postComment(second, repo, 7, 'c'),
      postComment(second, repo, 7, 'd'),
    ]);

    expect(Date.now() - started).toBeLessThan(900);
  });

  it('authenticates with the token, which the redactor leaves alone in the header', async () => {
    const { scope, sent } = githubApi();
    scope.post(COMMENTS).reply(201, created);

    await postComment(testClient(), repo, 7, 'Hello');

    expect(sent[0]?.authorization).toBe(`token ${TOKEN}`);
  });
});
