import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { addReaction } from '../../src/github/add-reaction.js';
import { getPermissionLevel, hasPermission } from '../../src/github/get-permission-level.js';
import { postComment } from '../../src/github/post-comment.js';
import { readRepoFile } from '../../src/github/read-repo-file.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { githubApi, repo, testClient, useNock } from './helpers.js';

const R = '/repos/octo-org/hello-world';

describe('addReaction', () => {
  useNock();

  it('reacts to an issue comment, a review comment, and an issue on their own endpoints', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/comments/11/reactions`).reply(201, { id: 1, content: 'eyes' });
    scope.post(`${R}/pulls/comments/12/reactions`).reply(201, { id: 2, content: 'eyes' });
    // 200: the reaction was already there.
    scope.post(`${R}/issues/13/reactions`).reply(200, { id: 3, content: 'rocket' });
    const octokit = testClient();

    await addReaction(octokit, repo, 11, 'eyes');
    await addReaction(octokit, repo, 12, 'eyes', 'review_comment');
    await addReaction(octokit, repo, 13, 'rocket', 'issue');

    expect(sent.map((s) => s.body)).toEqual([
      { content: 'eyes' },
      { content: 'eyes' },
      { content: 'rocket' },
    ]);
    expectValidGitHubRequest(
      'POST',
      '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
      sent[0]?.body,
    );
    expectValidGitHubRequest(
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/reactions',
      sent[2]?.body,
    );
  });
});

describe('getPermissionLevel', () => {
  useNock();
  const path = `${R}/collaborators/${encodeURIComponent('some-user')}/permission`;

  it.each([
    ['admin', 'admin', 'admin'],
    ['maintain', 'write', 'maintain'],
    ['write', 'write', 'write'],
    ['triage', 'read', 'triage'],
    ['read', 'read', 'read'],
  ] as const)('role %s (legacy permission %s) is %s', async (role, permission, expected) => {
    const { scope } = githubApi();
    scope.get(path).reply(200, { permission, role_name: role, user: { login: 'some-user' } });

    expect(await getPermissionLevel(testClient(), repo, 'some-user')).toBe(expected);
  });

  it('reads a custom role through the user’s permission flags', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(200, {
      permission: 'write',
      role_name: 'release-manager',
      user: { permissions: { admin: false, maintain: true, push: true, triage: true, pull: true } },
    });

    expect(await getPermissionLevel(testClient(), repo, 'some-user')).toBe('maintain');
  });

  it('falls back to the legacy permission for a custom role without flags', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(200, { permission: 'write', role_name: 'release-manager', user: null });

    expect(await getPermissionLevel(testClient(), repo, 'some-user')).toBe('write');
  });

  it('is none for someone who is not a collaborator (404)', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(404, { message: 'Not Found' });

    expect(await getPermissionLevel(testClient(), repo, 'some-user')).toBe('none');
  });

  it('does not mistake other failures for none', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(403, { message: 'Resource not accessible by integration' });

    await expect(getPermissionLevel(testClient(), repo, 'some-user')).rejects.toMatchObject({
      status: 403,
    });
  });

  it('orders levels', () => {
    expect(hasPermission('maintain', 'write')).toBe(true);
    expect(hasPermission('triage', 'write')).toBe(false);
    expect(hasPermission('none', 'read')).toBe(false);
  });
});

describe('readRepoFile', () => {
  useNock();
  const path = `${R}/contents/${encodeURIComponent('.github/patchling.yml')}`;
  const file = (text: string) => ({
    type: 'file',
    encoding: 'base64',
    size: Buffer.byteLength(text),
    // GitHub wraps base64 at 60 characters.
    content: Buffer.from(text)
      .toString('base64')
      .replace(/(.{60})/g, '$1\n'),
  });

  it('decodes a file at a ref', async () => {
    const text = `review:\n  enabled: true\n# ${'é'.repeat(50)}\n`;
    const { scope } = githubApi();
    scope.get(path).query({ ref: 'main' }).reply(200, file(text));

    expect(await readRepoFile(testClient(), repo, '.github/patchling.yml', 'main')).toBe(text);
  });

  it('is undefined when there is no such file (404)', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(404, { message: 'Not Found' });

    expect(await readRepoFile(testClient(), repo, '.github/patchling.yml')).toBeUndefined();
  });

  it('refuses a file over the limit', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(200, { type: 'file', encoding: 'none', size: 5_000_000, content: '' });

    await expect(readRepoFile(testClient(), repo, '.github/patchling.yml')).rejects.toThrow(
      new UserError('.github/patchling.yml is 5000000 bytes; the limit is 1048576.'),
    );
  });

  it('refuses a directory and a binary file', async () => {
    const { scope } = githubApi();
    scope.get(path).reply(200, [{ type: 'file', name: 'a' }]);
    scope.get(path).reply(200, {
      type: 'file',
      encoding: 'base64',
      size: 2,
      content: Buffer.from([0xff, 0xfe]).toString('base64'),
    });
    const octokit = testClient();

    await expect(readRepoFile(octokit, repo, '.github/patchling.yml')).rejects.toThrow(/directory/);
    await expect(readRepoFile(octokit, repo, '.github/patchling.yml')).rejects.toThrow(/not UTF-8/);
  });
});

describe('postComment', () => {
  useNock();

  it('cuts a body over GitHub’s limit and says so', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 1, html_url: 'https://github.com/x' });

    await postComment(testClient(), repo, 7, 'word '.repeat(14_000));

    const posted = (sent[0]?.body as { body: string }).body;
    expect(posted.length).toBeLessThanOrEqual(65_536);
    expect(posted.length).toBeGreaterThan(65_000);
    // Cut between words, never inside one (half a token could be half a secret).
    expect(posted).toMatch(/^(word )*word\n\n…\(truncated\)$/);
    expectValidGitHubRequest(
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      sent[0]?.body,
    );
  });
});
