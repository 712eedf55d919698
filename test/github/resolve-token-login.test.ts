import { describe, expect, it } from 'vitest';
import { resolveTokenLogin, VIEWER_LOGIN_QUERY } from '../../src/github/resolve-token-login.js';
import { githubApi, testClient, TOKEN, useNock } from './helpers.js';

// GitHub's answers, as documented and as seen for each kind of token.
const INTEGRATION_FORBIDDEN = {
  message: 'Resource not accessible by integration',
  documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
  status: '403',
};
const FALLBACK = 'github-actions[bot]';

function resolve(warnings: string[] = []) {
  return resolveTokenLogin(testClient({ retries: 0 }), {
    fallback: FALLBACK,
    warn: (message) => warnings.push(message),
  });
}

describe('resolveTokenLogin', () => {
  useNock();

  it("names the workflow token's account from GraphQL's viewer, with one request", async () => {
    const { scope, sent } = githubApi();
    scope.post('/graphql').reply(200, { data: { viewer: { login: 'github-actions[bot]' } } });

    expect(await resolve()).toEqual({ login: 'github-actions[bot]', source: 'graphql' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ query: VIEWER_LOGIN_QUERY });
    expect(sent[0]?.authorization).toBe(`token ${TOKEN}`);
  });

  it("names an App installation token's bot, which GET /user would refuse", async () => {
    const { scope, sent } = githubApi();
    scope.post('/graphql').reply(200, { data: { viewer: { login: 'patchling-ci[bot]' } } });

    expect(await resolve()).toEqual({ login: 'patchling-ci[bot]', source: 'graphql' });
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /graphql']);
  });

  it("names a personal token's user", async () => {
    const { scope } = githubApi();
    scope.post('/graphql').reply(200, { data: { viewer: { login: 'octocat' } } });

    expect(await resolve()).toEqual({ login: 'octocat', source: 'graphql' });
  });

  it('asks GET /user when GraphQL is unavailable (a server with it turned off)', async () => {
    const { scope, sent } = githubApi();
    scope.post('/graphql').reply(404, { message: 'Not Found' });
    scope.get('/user').reply(200, { login: 'octocat', id: 1, type: 'User' });

    expect(await resolve()).toEqual({ login: 'octocat', source: 'rest' });
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /graphql', 'GET /user']);
  });

  it('assumes the fallback, with a warning that says why, when neither answers', async () => {
    const { scope } = githubApi();
    scope.post('/graphql').reply(200, {
      data: null,
      errors: [{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }],
    });
    scope.get('/user').reply(403, INTEGRATION_FORBIDDEN);
    const warnings: string[] = [];

    expect(await resolve(warnings)).toEqual({ login: FALLBACK, source: 'fallback' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Resource not accessible by integration');
    expect(warnings[0]).toContain(`assuming ${FALLBACK}`);
    expect(warnings[0]).not.toContain(TOKEN);
  });

  it('does not take a malformed answer for a login', async () => {
    const { scope } = githubApi();
    scope.post('/graphql').reply(200, { data: { viewer: { login: '' } } });
    scope.get('/user').reply(200, { id: 5 });

    expect(await resolve()).toEqual({ login: FALLBACK, source: 'fallback' });
  });
});
