import { describe, expect, it } from 'vitest';
import { webhookPayload } from '../support/webhook-payloads.js';
import {
  acceptComment,
  COMMENT_ID,
  CONFIG_PATH,
  expectKeyMasked,
  github,
  MODEL_KEY,
  noRepoConfig,
  R,
  runAction,
  TOKEN,
  useGitHubMock,
} from './helpers.js';

const mock = useGitHubMock();

/** An issue comment as the runner saves it: GitHub's example, without an App installation. */
function issueComment(
  body: string,
  user: { login: string; type: 'User' | 'Bot' } = { login: 'Codertocat', type: 'User' },
) {
  return webhookPayload('issue_comment', 'created', {
    installation: undefined,
    comment: { body, user },
    sender: user,
  });
}

function permission(level: 'read' | 'write') {
  return {
    permission: level,
    role_name: level,
    user: {
      login: 'Codertocat',
      permissions: { admin: false, maintain: false, push: level === 'write', pull: true },
    },
  };
}

describe('the Action on issue_comment', () => {
  it('answers /patchling help with the commands, and writes its outputs', async () => {
    const scope = github();
    noRepoConfig(scope);
    scope
      .post(`${R}/issues/comments/${COMMENT_ID}/reactions`, { content: 'eyes' })
      .reply(201, { id: 1, content: 'eyes' });
    acceptComment(scope, 1);

    const run = await runAction('issue_comment', issueComment('/patchling help'));

    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({
      status: 'completed',
      job: 'help',
      summary: 'Posted the list of commands on #1.',
      'run-id': '',
    });
    const help = mock.sent().find((request) => request.path.endsWith('/issues/1/comments'));
    expect((help?.body as { body: string }).body).toContain('`/patchling review [focus]`');
    // The workflow token reaches GitHub, in the header only.
    expect(mock.sent().map((request) => request.authorization)).toEqual(
      mock.sent().map(() => `token ${TOKEN}`),
    );
    expect(JSON.stringify(mock.sent().map((request) => request.body))).not.toContain(MODEL_KEY);
    expectKeyMasked(run);
    // Read once, then gone from the environment children would inherit.
    expect(run.env['INPUT_API-KEY']).toBeUndefined();
    expect(run.env['INPUT_GITHUB-TOKEN']).toBeUndefined();
  });

  it('refuses /patchling fix from someone with read permission, with one comment, and exits 0', async () => {
    const scope = github();
    noRepoConfig(scope);
    scope.get(`${R}/collaborators/Codertocat/permission`).reply(200, permission('read'));
    acceptComment(scope, 1);

    const run = await runAction('issue_comment', issueComment('/patchling fix the typo'));

    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('refused');
    expect(run.outputs.job).toBe('fix');
    expect(run.outputs.summary).toBe(
      '@Codertocat, only people with write access can ask Patchling to fix issues.',
    );
    const refusal = mock.sent().find((request) => request.method === 'POST');
    expect(refusal?.body).toEqual({
      body: '@Codertocat, only people with write access can ask Patchling to fix issues.',
    });
    // No 👀: nothing was accepted.
    expect(mock.sent().some((request) => request.path.includes('/reactions'))).toBe(false);
    expect(run.stdout).toContain('::notice::Patchling refused: @Codertocat, only people');
    expectKeyMasked(run);
  });

  it('runs /patchling fix from a writer inline: acknowledged, and its progress ends visibly when the checkout fails', async () => {
    const scope = github();
    noRepoConfig(scope);
    scope.get(`${R}/collaborators/Codertocat/permission`).reply(200, permission('write'));
    scope
      .post(`${R}/issues/comments/${COMMENT_ID}/reactions`, { content: 'eyes' })
      .reply(201, { id: 1, content: 'eyes' });
    acceptComment(scope, 1, 7001);
    // The job reads the config again, then the issue it is about.
    noRepoConfig(scope);
    scope.get(`${R}/issues/1/comments`).query(true).reply(200, []);
    scope.get(`${R}/issues/1`).reply(200, { number: 1, title: 'A typo', body: 'teh' });
    scope.get(R).reply(200, {
      default_branch: 'main',
      html_url: `https://github.com${R.replace('/repos', '')}`,
    });
    // Running the moment the job starts (unless the failure came first), then failed.
    scope.patch(`${R}/issues/comments/7001`).reply(200, { id: 7001 });
    scope.patch(`${R}/issues/comments/7001`).optionally().reply(200, { id: 7001 });

    // Nothing listens on port 9: the clone fails at once, without leaving the machine.
    const run = await runAction('issue_comment', issueComment('/patchling fix the typo'), {
      env: { GITHUB_SERVER_URL: 'http://127.0.0.1:9' },
    });

    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'failed', job: 'fix' });
    const patches = mock.sent().filter((request) => request.method === 'PATCH');
    for (const early of patches.slice(0, -1))
      expect((early.body as { body: string }).body).toContain('**Patchling fix** is running');
    const final = patches.at(-1);
    expect((final?.body as { body: string }).body).toContain('**Patchling fix** failed');
    expect((final?.body as { body: string }).body).toContain('job=action-4242-1-patchling');
    expect(run.stdout).toContain('::error::');
    expectKeyMasked(run);
  });

  it('ignores a comment not addressed to Patchling: status ignored, a notice, exit 0', async () => {
    noRepoConfig(github());

    const run = await runAction('issue_comment', issueComment('Looks good to me'));

    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({
      status: 'ignored',
      job: 'none',
      summary: 'the comment is not addressed to Patchling',
      'run-id': '',
    });
    expect(run.stdout).toContain(
      '::notice::Patchling ignored this event: the comment is not addressed to Patchling',
    );
    expect(mock.sent().filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it("ignores the workflow token's own comments (github-actions[bot])", async () => {
    noRepoConfig(github());

    const run = await runAction(
      'issue_comment',
      issueComment('/patchling help', { login: 'github-actions[bot]', type: 'Bot' }),
    );

    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('ignored');
    expect(run.outputs.summary).toBe("the comment is Patchling's own");
  });
});

describe("the Action's own account, learnt from its token", () => {
  it("ignores an App token's own comments: the App's bot, not github-actions[bot]", async () => {
    mock.tokenLogin('patchling-ci[bot]');
    noRepoConfig(github());

    const run = await runAction(
      'issue_comment',
      issueComment('/patchling help', { login: 'patchling-ci[bot]', type: 'Bot' }),
    );

    expect(run.outputs.status).toBe('ignored');
    expect(run.outputs.summary).toBe("the comment is Patchling's own");
    expect(run.stdout).toContain('acting as login=patchling-ci[bot] source=graphql');
  });

  it('asks GET /user for a personal token when GraphQL refuses, and answers as that user', async () => {
    mock.tokenLogin(null);
    github().get('/user').reply(200, { login: 'octocat', id: 1, type: 'User' });
    noRepoConfig(github());

    const run = await runAction(
      'issue_comment',
      issueComment('/patchling help', { login: 'octocat', type: 'User' }),
    );

    expect(run.outputs.summary).toBe("the comment is Patchling's own");
    expect(run.stdout).toContain('acting as login=octocat source=rest');
  });

  it('falls back to github-actions[bot] with a warning when GitHub will not say', async () => {
    mock.tokenLogin(null);
    github().get('/user').reply(403, { message: 'Resource not accessible by integration' });
    noRepoConfig(github());

    const run = await runAction(
      'issue_comment',
      issueComment('/patchling help', { login: 'github-actions[bot]', type: 'Bot' }),
    );

    expect(run.outputs.summary).toBe("the comment is Patchling's own");
    expect(run.stdout).toContain('assuming github-actions[bot]');
    expect(run.stdout).toContain('acting as login=github-actions[bot] source=fallback');
  });
});

describe('the Action on other events', () => {
  it('ignores an event no route takes', async () => {
    noRepoConfig(github());

    const run = await runAction('push', webhookPayload('push', undefined));

    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('ignored');
    expect(run.outputs.summary).toBe('Patchling does not handle push events');
  });

  it('routes a schedule (a payload with only the cron) to a scan of the workflow repository', async () => {
    const scope = github();
    noRepoConfig(scope);
    // The scan starts from the commit of the workflow's ref; here GitHub cannot name it.
    scope
      .get(`${R}/commits/refs%2Fheads%2Fmaster`)
      .reply(404, { message: 'No commit found for SHA: refs/heads/master', status: '404' });

    const run = await runAction('schedule', { schedule: '0 3 * * 1' });

    expect(run.outputs).toMatchObject({ status: 'failed', job: 'scan' });
    expect(run.outputs.summary).toContain('No commit found');
    expect(mock.sent().map((request) => `${request.method} ${request.path}`)).toContain(
      `GET ${R}/commits/refs%2Fheads%2Fmaster`,
    );
  });

  it('reads the config from the default branch and answers a broken one with a comment', async () => {
    const scope = github();
    scope.get(CONFIG_PATH).reply(200, {
      type: 'file',
      size: 16,
      encoding: 'base64',
      content: Buffer.from('review: {aut: 1}\n').toString('base64'),
    });
    acceptComment(scope, 1);

    const run = await runAction('issue_comment', issueComment('/patchling help'));

    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('refused');
    expect(run.outputs.summary).toContain('.github/patchling.yml');
    // Read with no ref: the contents API then reads the default branch.
    expect(mock.sent()[0]?.path).toBe(CONFIG_PATH);
  });
});

describe('the Action when it cannot run', () => {
  it('stops at a missing api-key with a clear error, exit 2, and posts nothing', async () => {
    const run = await runAction('issue_comment', issueComment('/patchling help'), {
      inputs: { 'api-key': undefined },
    });

    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^::error::The api-key input is empty: pass your openai key/m);
    expect(run.outputs).toMatchObject({ status: 'failed', job: 'none' });
    expect(mock.sent()).toEqual([]);
  });

  it('ignores a provider key left in the environment: the key comes from the input', async () => {
    const run = await runAction('issue_comment', issueComment('/patchling help'), {
      inputs: { 'api-key': undefined },
      env: { OPENAI_API_KEY: MODEL_KEY },
    });

    expect(run.code).toBe(2);
    expect(run.stdout).toContain('::error::The api-key input is empty');
    expect(run.env.OPENAI_API_KEY).toBeUndefined();
    expect(run.stdout).not.toContain(MODEL_KEY);
  });

  it('names the input that is wrong', async () => {
    const run = await runAction('issue_comment', issueComment('/patchling help'), {
      inputs: { provider: 'anthropic' },
    });

    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      '::error::The provider input must be one of openai, azure, gemini, local; got "anthropic".',
    );
  });

  it('fails with exit 1 and a hint about permissions when GitHub refuses the token', async () => {
    github().get(CONFIG_PATH).reply(403, { message: 'Resource not accessible by integration' });

    const run = await runAction('issue_comment', issueComment('/patchling help'));

    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'failed', job: 'none' });
    expect(run.outputs.summary).toContain('Resource not accessible by integration');
    expect(run.stdout).toMatch(/^::error::.*permissions block/m);
    expectKeyMasked(run);
  });
});
