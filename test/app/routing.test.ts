import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredJob } from '../../src/queue/types.js';
import {
  startTestApp,
  type AppHarness,
  type GitHubMock,
  type StartAppOptions,
  expectGitHubMockSettled,
  startGitHubMock,
} from '../support/app-harness.js';
import { TEST_INSTALLATION, webhookPayload } from '../support/webhook-payloads.js';

// GitHub's examples: comment 492700400 on issue Codertocat/Hello-World#1; pull request #2.
const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const COMMENT_ID = 492700400;
const COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const REACTIONS = '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions';

let github: GitHubMock;
const apps: AppHarness[] = [];

beforeEach(() => {
  github = startGitHubMock();
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  expectGitHubMockSettled(github);
});

async function startApp(options: StartAppOptions = {}): Promise<AppHarness> {
  const app = await startTestApp(options);
  apps.push(app);
  return app;
}

/** The App's own requests for a delivery: its token, its bot login, the repo's config. */
function expectRouting(yaml?: string): void {
  github.installationAuth(TEST_INSTALLATION.id);
  github.app();
  github.repoConfig(OWNER, REPO, yaml);
}

function issueComment(
  body: string,
  by: { login: string; type: 'User' | 'Bot' },
  options: { onPull?: boolean } = {},
) {
  return webhookPayload('issue_comment', 'created', {
    comment: { body, user: by },
    sender: by,
    ...(options.onPull
      ? {
          issue: {
            pull_request: {
              url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/1`,
              html_url: `https://github.com/${OWNER}/${REPO}/pull/1`,
              diff_url: `https://github.com/${OWNER}/${REPO}/pull/1.diff`,
              patch_url: `https://github.com/${OWNER}/${REPO}/pull/1.patch`,
            },
          },
        }
      : {}),
  });
}

/** What GitHub answers a new issue comment with (the fields a client reads). */
function createdComment(body: Record<string, unknown>, id: number) {
  return [
    201,
    {
      id,
      node_id: 'IC_kwDOAAAAAA',
      url: `https://api.github.com/repos/${OWNER}/${REPO}/issues/comments/${id}`,
      html_url: `https://github.com/${OWNER}/${REPO}/issues/1#issuecomment-${id}`,
      issue_url: `https://api.github.com/repos/${OWNER}/${REPO}/issues/1`,
      body: body.body,
      user: { login: 'patchling[bot]', id: 99, type: 'Bot' },
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
      author_association: 'NONE',
    },
  ] as const;
}

function resultOf(job: StoredJob | undefined): { outcome?: string; reason?: string } {
  return (job?.result ?? {}) as { outcome?: string; reason?: string };
}

const READER = { login: 'octo-reader', type: 'User' } as const;

describe('the App routes comments', () => {
  it('refuses /patchling fix from someone with read access: one comment, no 👀, no job', async () => {
    expectRouting();
    github.permission(OWNER, REPO, READER.login, 'read');
    github.write('POST', COMMENTS, { owner: OWNER, repo: REPO, issue_number: 1 }, (body) =>
      createdComment(body, 1001),
    );
    const app = await startApp();

    const delivered = await app.deliver('issue_comment', issueComment('/patchling fix', READER));
    expect(delivered.status).toBe(200);
    const jobs = await app.settled(1);

    expect(jobs.map((job) => [job.kind, job.status])).toEqual([['delivery', 'succeeded']]);
    expect(resultOf(jobs[0]).outcome).toBe('refused');
    const writes = github.writes();
    expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/1/comments`,
    ]);
    expect(writes[0]?.body).toEqual({
      body: '@octo-reader, only people with write access can ask Patchling to fix issues.',
    });
  });

  it('answers /patchling help from anyone with 👀 and a comment listing the commands', async () => {
    expectRouting();
    // No permission lookup is mocked: help needs none, so asking GitHub would fail the job.
    github.write(
      'POST',
      REACTIONS,
      { owner: OWNER, repo: REPO, comment_id: COMMENT_ID },
      (body) => [
        201,
        { id: 1, node_id: 'REA_1', content: body.content, created_at: '2025-01-01T00:00:00Z' },
      ],
    );
    github.write('POST', COMMENTS, { owner: OWNER, repo: REPO, issue_number: 1 }, (body) =>
      createdComment(body, 1002),
    );
    const app = await startApp();

    await app.deliver('issue_comment', issueComment('/patchling help', READER));
    const jobs = await app.settled(2);

    expect(jobs.map((job) => [job.kind, job.status])).toEqual([
      ['delivery', 'succeeded'],
      ['help', 'succeeded'],
    ]);
    const writes = github.writes();
    expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/comments/${COMMENT_ID}/reactions`,
      `POST /repos/${OWNER}/${REPO}/issues/1/comments`,
    ]);
    expect(writes[0]?.body).toEqual({ content: 'eyes' });
    const help = (writes[1]?.body as { body: string }).body;
    expect(help).toContain('`/patchling review [focus]`');
    expect(help).toContain('`/patchling fix [instructions]`');
    expect(help).toContain('`/patchling help`');
  });

  it('trusts the account type, not a [bot] suffix: a User named like a bot is answered', async () => {
    expectRouting();
    github.write('POST', REACTIONS, { owner: OWNER, repo: REPO, comment_id: COMMENT_ID }, () => [
      201,
      { id: 2, content: 'eyes' },
    ]);
    github.write('POST', COMMENTS, { owner: OWNER, repo: REPO, issue_number: 1 }, (body) =>
      createdComment(body, 1003),
    );
    const app = await startApp();

    await app.deliver(
      'issue_comment',
      issueComment('/patchling help', { login: 'robot-fan[bot]', type: 'User' }),
    );
    const jobs = await app.settled(2);
    expect(jobs.map((job) => [job.kind, job.status])).toEqual([
      ['delivery', 'succeeded'],
      ['help', 'succeeded'],
    ]);
    expect(github.writes()).toHaveLength(2);
  });

  it('answers an invalid .github/patchling.yml on /patchling review by naming the key, and runs nothing', async () => {
    expectRouting('review:\n  max_comments: ten\n');
    github.write('POST', COMMENTS, { owner: OWNER, repo: REPO, issue_number: 1 }, (body) =>
      createdComment(body, 1004),
    );
    const app = await startApp();

    await app.deliver(
      'issue_comment',
      issueComment('/patchling review', { login: 'Codertocat', type: 'User' }, { onPull: true }),
    );
    const jobs = await app.settled(1);

    expect(jobs.map((job) => [job.kind, job.status])).toEqual([['delivery', 'succeeded']]);
    expect(resultOf(jobs[0]).outcome).toBe('refused');
    const writes = github.writes();
    expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/1/comments`,
    ]);
    const answer = (writes[0]?.body as { body: string }).body;
    expect(answer).toMatch(/^@Codertocat, /);
    expect(answer).toContain('review.max_comments');
    expect(answer).toContain('"ten"');
  });

  it.each([
    ['a bot not in bots.allow', { login: 'someone[bot]', type: 'Bot' }, 'someone[bot] is a bot'],
    ['the App itself', { login: 'patchling[bot]', type: 'Bot' }, "Patchling's own"],
    [
      'the App itself, spelt in capitals',
      { login: 'Patchling[bot]', type: 'Bot' },
      "Patchling's own",
    ],
  ] as const)('ignores a command from %s without a single write', async (_what, by, reason) => {
    // Only reads are mocked: any write would find no interceptor and be listed as unmatched.
    expectRouting();
    const app = await startApp();

    await app.deliver('issue_comment', issueComment('/patchling help', by));
    const jobs = await app.settled(1);

    expect(jobs.map((job) => [job.kind, job.status])).toEqual([['delivery', 'succeeded']]);
    expect(resultOf(jobs[0]).outcome).toBe('ignored');
    expect(resultOf(jobs[0]).reason).toContain(reason);
    expect(github.writes()).toEqual([]);
    expect(github.calls.map((call) => call.method)).not.toContain('PATCH');
  });
});

describe('the App when GitHub fails once', () => {
  it('asks for its own login again after GET /app failed, instead of failing every later delivery', async () => {
    github.installationAuth(TEST_INSTALLATION.id);
    // A failure retries cannot fix (401); a 502 is retried, see the next test.
    github.scope.get('/app').reply(401, { message: 'Bad credentials' });
    github.app();
    github.repoConfig(OWNER, REPO);
    github.write('POST', REACTIONS, { owner: OWNER, repo: REPO, comment_id: COMMENT_ID }, () => [
      201,
      { id: 3, content: 'eyes' },
    ]);
    github.write('POST', COMMENTS, { owner: OWNER, repo: REPO, issue_number: 1 }, (body) =>
      createdComment(body, 1005),
    );
    const app = await startApp();

    await app.deliver('issue_comment', issueComment('/patchling help', READER));
    expect((await app.settled(1)).map((job) => [job.kind, job.status])).toEqual([
      ['delivery', 'failed'],
    ]);
    await app.deliver('issue_comment', issueComment('/patchling help', READER));
    const jobs = await app.settled(3, 5000);

    expect(jobs.map((job) => [job.kind, job.status])).toEqual([
      ['delivery', 'failed'],
      ['delivery', 'succeeded'],
      ['help', 'succeeded'],
    ]);
  });
});

describe('the App when GitHub hiccups', () => {
  it('retries a 502 on GET /app, so the delivery still succeeds', async () => {
    github.installationAuth(TEST_INSTALLATION.id);
    github.scope.get('/app').reply(502, { message: 'Server Error' });
    github.app();
    github.repoConfig(OWNER, REPO);
    github.write('POST', REACTIONS, { owner: OWNER, repo: REPO, comment_id: COMMENT_ID }, () => [
      201,
      { id: 3, content: 'eyes' },
    ]);
    github.write('POST', COMMENTS, { owner: OWNER, repo: REPO, issue_number: 1 }, (body) =>
      createdComment(body, 1006),
    );
    const app = await startApp();

    await app.deliver('issue_comment', issueComment('/patchling help', READER));
    const jobs = await app.settled(2, 10_000);
    expect(jobs.map((job) => [job.kind, job.status])).toEqual([
      ['delivery', 'succeeded'],
      ['help', 'succeeded'],
    ]);
  });
});

describe('the App and pushes', () => {
  it('supersedes the review of an older push when a newer one arrives for the same PR', async () => {
    const first = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
    const second = '1111111111111111111111111111111111111111';
    const push = (sha: string) =>
      webhookPayload('pull_request', 'synchronize', {
        installation: TEST_INSTALLATION,
        pull_request: { head: { sha } },
      });
    github.installationAuth(TEST_INSTALLATION.id);
    github.app();
    github.repoConfig(OWNER, REPO);
    github.repoConfig(OWNER, REPO);
    // The surviving review asks for the PR and learns it is gone: it ends there, before
    // any check run, so the test needs no repository.
    github.scope.get(`/repos/${OWNER}/${REPO}/pulls/2`).reply(404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request',
      status: '404',
    });
    const app = await startApp({ startWorkers: false });

    const a = await app.deliver('pull_request', push(first));
    const b = await app.deliver('pull_request', push(second));
    expect([a.status, b.status]).toEqual([200, 200]);
    app.server.pool.start();
    const jobs = await app.settled(4);

    const reviews = jobs.filter((job) => job.kind === 'review');
    expect(reviews.map((job) => (job.payload as { headSha?: string }).headSha)).toEqual([
      first,
      second,
    ]);
    expect(reviews[0]?.status).toBe('superseded');
    expect(reviews[0]?.attempts).toBe(0);
    expect(reviews[1]?.status).toBe('failed');
    expect(jobs.filter((job) => job.kind === 'delivery').map((job) => job.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(github.writes()).toEqual([]);
  });
});
