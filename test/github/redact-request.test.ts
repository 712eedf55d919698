import { describe, expect, it } from 'vitest';
import { postComment } from '../../src/github/post-comment.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { githubApi, MODEL_KEY, repo, testClient, TOKEN, useNock } from './helpers.js';

const R = '/repos/octo-org/hello-world';

describe('request redaction', () => {
  useNock();

  it('posts a comment body with a known token replaced by [REDACTED]', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 1, html_url: 'u' });

    await postComment(testClient(), repo, 7, `The key was ${MODEL_KEY}, and the token ${TOKEN}.`);

    expect(sent[0]?.body).toEqual({
      body: 'The key was [REDACTED], and the token [REDACTED].',
    });
    expect(sent[0]?.authorization).toBe(`token ${TOKEN}`);
  });

  it('redacts a comment edit', async () => {
    const { scope, sent } = githubApi();
    scope.patch(`${R}/issues/comments/55`).reply(200, { id: 55 });

    await testClient().request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...repo,
      comment_id: 55,
      body: `export OPENAI_API_KEY=${MODEL_KEY}`,
    });

    expect(sent[0]?.body).toEqual({ body: 'export OPENAI_API_KEY=[REDACTED]' });
    expectValidGitHubRequest(
      'PATCH',
      '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      sent[0]?.body,
    );
  });

  it('redacts check run output, nested annotations included, without touching the caller’s object', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/check-runs`).reply(201, { id: 9 });
    const output = {
      title: `Leaked ${MODEL_KEY}`,
      summary: `summary ${MODEL_KEY}`,
      text: `text ${TOKEN}`,
      annotations: [
        {
          path: 'src/a.ts',
          start_line: 1,
          end_line: 1,
          annotation_level: 'warning' as const,
          message: `found ${MODEL_KEY}`,
        },
      ],
    };

    await testClient().request('POST /repos/{owner}/{repo}/check-runs', {
      ...repo,
      name: 'Patchling review',
      head_sha: 'a'.repeat(40),
      output,
    });

    expect(sent[0]?.body).toEqual({
      name: 'Patchling review',
      head_sha: 'a'.repeat(40),
      output: {
        title: 'Leaked [REDACTED]',
        summary: 'summary [REDACTED]',
        text: 'text [REDACTED]',
        annotations: [{ ...output.annotations[0], message: 'found [REDACTED]' }],
      },
    });
    expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/check-runs', sent[0]?.body);
    expect(output.summary).toBe(`summary ${MODEL_KEY}`);
  });

  it('redacts a pull request title and body', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/pulls`).reply(201, { number: 3 });

    await testClient().request('POST /repos/{owner}/{repo}/pulls', {
      ...repo,
      title: `Rotate ${MODEL_KEY}`,
      body: `Was ${TOKEN}`,
      head: 'patchling/fix-7',
      base: 'main',
    });

    expect(sent[0]?.body).toEqual({
      title: 'Rotate [REDACTED]',
      body: 'Was [REDACTED]',
      head: 'patchling/fix-7',
      base: 'main',
    });
    expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/pulls', sent[0]?.body);
  });

  it('redacts a review body and its line comments', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/pulls/3/reviews`).reply(200, { id: 4 });

    await testClient().request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
      ...repo,
      pull_number: 3,
      event: 'COMMENT',
      body: `Overall fine; drop ${MODEL_KEY}`,
      comments: [{ path: 'a.ts', line: 2, side: 'RIGHT', body: `hard-coded ${MODEL_KEY}` }],
    });

    expect(sent[0]?.body).toEqual({
      event: 'COMMENT',
      body: 'Overall fine; drop [REDACTED]',
      comments: [{ path: 'a.ts', line: 2, side: 'RIGHT', body: 'hard-coded [REDACTED]' }],
    });
    expectValidGitHubRequest(
      'POST',
      '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      sent[0]?.body,
    );
  });

  it('redacts the JSON-escaped spelling of a secret too', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 1, html_url: 'u' });

    await postComment(testClient(), repo, 7, JSON.stringify({ key: MODEL_KEY }));

    expect(sent[0]?.body).toEqual({ body: '{"key":"[REDACTED]"}' });
  });
});
