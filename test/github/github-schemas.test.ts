import { describe, expect, it } from 'vitest';
import { expectValidGitHubRequest, githubRequestRoutes } from '../support/github-schemas.js';

describe('expectValidGitHubRequest', () => {
  it('covers the routes Patchling posts to', () => {
    expect(githubRequestRoutes).toContain(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    );
    expect(githubRequestRoutes).toContain('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}');
  });

  it('accepts a valid body', () => {
    expectValidGitHubRequest('post', '/repos/{owner}/{repo}/issues/{issue_number}/comments', {
      body: 'hi',
    });
  });

  it('rejects a misspelt field, a missing required one, and a wrong enum value', () => {
    const route = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
    expect(() => expectValidGitHubRequest('POST', route, { bodyy: 'hi' })).toThrow();
    expect(() =>
      expectValidGitHubRequest(
        'POST',
        '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
        {
          content: 'smile',
        },
      ),
    ).toThrow();
  });

  it('rejects a completed check run without a conclusion, and a bad timestamp', () => {
    const route = '/repos/{owner}/{repo}/check-runs/{check_run_id}';
    expect(() => expectValidGitHubRequest('PATCH', route, { status: 'completed' })).toThrow();
    expect(() =>
      expectValidGitHubRequest('PATCH', route, {
        conclusion: 'success',
        completed_at: 'yesterday',
      }),
    ).toThrow();
  });

  it('refuses a route the fixture does not know', () => {
    expect(() => expectValidGitHubRequest('DELETE', '/repos/{owner}/{repo}', {})).toThrow(
      /no request schema/,
    );
  });
});
