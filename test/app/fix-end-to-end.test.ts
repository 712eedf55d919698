import { execFile } from 'node:child_process';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FixOutput } from '../../src/jobs/fix/fix-output.js';
import type { StoredJob } from '../../src/queue/types.js';
import {
  APP_SLUG,
  startTestApp,
  type AppHarness,
  type GitHubMock,
  expectGitHubMockSettled,
  startGitHubMock,
} from '../support/app-harness.js';
import { basicAuthHeader } from '../support/git-http-server.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptStep,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testModelConfig } from '../support/test-model-config.js';
import { webhookPayload } from '../support/webhook-payloads.js';
import { fixGitHub, repositoryJson, type FixGitHub } from './fix-github.js';
import { createFixRepo, FIXED_SUM, type FixRepo } from './fix-repo.js';

const execFileAsync = promisify(execFile);

const OWNER = 'octo-org';
const REPO = 'widgets';
const ISSUE = 12;
/** The draft pull request GitHub creates for the fix. */
const NEW_PR = 13;
const PROGRESS_ID = 7001;
const REQUESTER = 'octo-maintainer';
const REQUESTER_ID = 583231;
const BOT = `${APP_SLUG}[bot]`;
const BOT_ID = 41898282;
const TITLE = 'sum subtracts instead of adding';
const ISSUE_BODY = '`sum(2, 3)` is -1. `npm test` fails.';
const BRANCH = `patchling/issue-${ISSUE}`;

const FIX_PATCH = [
  '*** Begin Patch',
  '*** Update File: sum.js',
  '@@',
  '-exports.sum = (a, b) => a - b;',
  '+exports.sum = (a, b) => a + b;',
  '*** End Patch',
  '',
].join('\n');
const FIX_REPORT: FixOutput = {
  summary: '`sum` subtracted its arguments; it now adds them.',
  files_changed: ['sum.js'],
  tests: [{ command: 'npm test', passed: true, notes: 'sum(2, 3) is 5.' }],
  risks: 'Callers that relied on subtraction break.',
};
const BOT_EMAIL = `${BOT_ID}+${BOT}@users.noreply.github.com`;
const CO_AUTHOR = `Co-authored-by: ${REQUESTER} <${REQUESTER_ID}+${REQUESTER}@users.noreply.github.com>`;

let github: GitHubMock;
let gh: FixGitHub;
let repo: FixRepo | undefined;
let model: ScriptedModelServer | undefined;
let app: AppHarness | undefined;

beforeEach(() => {
  github = startGitHubMock();
  gh = fixGitHub(github, OWNER, REPO);
});

afterEach(async () => {
  await app?.close();
  await model?.close();
  await repo?.close();
  app = model = repo = undefined;
  expectGitHubMockSettled(github);
});

/** A model step: one apply_patch call. */
function patchStep(patch: string, callId = 'call_patch'): ScriptStep {
  return step.toolCalls([{ name: 'apply_patch', arguments: { input: patch }, callId }]);
}

function answer(report: FixOutput = FIX_REPORT): ScriptStep {
  return step.text(JSON.stringify(report));
}

function functionOutputs(request: RecordedRequest | undefined): Record<string, string> {
  const input = (request?.body as { input?: unknown } | undefined)?.input;
  if (!Array.isArray(input)) return {};
  const outputs: Record<string, string> = {};
  for (const item of input as Record<string, unknown>[]) {
    if (item.type !== 'function_call_output' || typeof item.call_id !== 'string') continue;
    outputs[item.call_id] =
      typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
  }
  return outputs;
}

function summarize(jobs: readonly StoredJob[]) {
  return jobs.map((job) => [job.kind, job.status]);
}

/** The App's requests up to the job: its token, its login, the config, the requester's permission. */
function expectAdmission(): void {
  gh.admission(REQUESTER);
}

/** The fix job's reads of an issue, and its progress comment. */
function expectIssueJob(): void {
  gh.issueJob({
    number: ISSUE,
    progressId: PROGRESS_ID,
    title: TITLE,
    body: ISSUE_BODY,
    author: 'octo-reporter',
    comments: [
      { author: REQUESTER, body: 'Seen in production too.' },
      { author: BOT, body: 'An old Patchling comment, left out of the task.' },
    ],
  });
}

/** What publishing asks for: the accounts behind the commit, then the draft pull request. */
function expectPublishing(prNumber: number): void {
  gh.user(BOT, BOT_ID);
  gh.user(REQUESTER, REQUESTER_ID);
  gh.createPullRequest(prNumber);
}

function labelled() {
  return webhookPayload('issues', 'labeled', {
    issue: { number: ISSUE, title: TITLE, body: ISSUE_BODY, state: 'open' },
    label: { name: 'patchling' },
    repository: repositoryJson(OWNER, REPO),
    sender: { login: REQUESTER, id: REQUESTER_ID, type: 'User' },
  });
}

/** GitHub's pull request, moved onto the test repository: `feature` of `headOwner` into main. */
function pullRequestJson(pr: {
  number: number;
  title: string;
  headSha: string;
  headOwner: string;
  mainSha: string;
}) {
  const example = webhookPayload('pull_request', 'opened').pull_request;
  return {
    ...example,
    number: pr.number,
    title: pr.title,
    body: 'Explains sum in the README.',
    state: 'open',
    draft: false,
    maintainer_can_modify: false,
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${pr.number}`,
    head: {
      ...example.head,
      sha: pr.headSha,
      ref: 'feature',
      label: `${pr.headOwner}:feature`,
      repo: repositoryJson(pr.headOwner, REPO, pr.headOwner === OWNER ? undefined : 'User'),
    },
    base: {
      ...example.base,
      sha: pr.mainSha,
      ref: 'main',
      label: `${OWNER}:main`,
      repo: repositoryJson(OWNER, REPO),
    },
  };
}

/** `/patchling fix make sum add` from the requester, on pull request `number`. */
function fixCommandOnPullRequest(number: number, title: string, commentId: number) {
  return webhookPayload('issue_comment', 'created', {
    issue: {
      number,
      title,
      state: 'open',
      pull_request: {
        url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/${number}`,
        html_url: `https://github.com/${OWNER}/${REPO}/pull/${number}`,
        diff_url: `https://github.com/${OWNER}/${REPO}/pull/${number}.diff`,
        patch_url: `https://github.com/${OWNER}/${REPO}/pull/${number}.patch`,
      },
    },
    comment: {
      id: commentId,
      body: '/patchling fix make sum add',
      user: { login: REQUESTER, id: REQUESTER_ID, type: 'User' },
    },
    repository: repositoryJson(OWNER, REPO),
    sender: { login: REQUESTER, id: REQUESTER_ID, type: 'User' },
  });
}

async function start(script: ScriptStep[], fixRepo: FixRepo): Promise<AppHarness> {
  model = await startScriptedModelServer(script);
  app = await startTestApp({
    config: { cloneBaseUrl: fixRepo.url },
    modelConfig: testModelConfig(model.baseURL, 'responses'),
  });
  return app;
}

/** An issue labelled `patchling`, run to the end: the jobs, and the progress comment's last word. */
async function fixIssue(script: ScriptStep[]) {
  repo = await createFixRepo({ owner: OWNER, repo: REPO, token: github.installationToken });
  const harness = await start(script, repo);
  const delivered = await harness.deliver('issues', labelled());
  expect(delivered.status).toBe(200);
  const jobs = await harness.settled(2, 60_000);
  return { jobs, fixRepo: repo, harness, final: gh.finalProgress(PROGRESS_ID) };
}

/** Every spelling of the installation token git or a leak could use. */
function tokenSpellings(): string[] {
  const token = github.installationToken;
  return [
    token,
    Buffer.from(`x-access-token:${token}`).toString('base64'),
    Buffer.from(token).toString('base64'),
  ];
}

function expectNoToken(places: Record<string, string>): void {
  for (const [where, text] of Object.entries(places)) {
    for (const secret of tokenSpellings()) expect(text.includes(secret), where).toBe(false);
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * The job ran to its end and reported the failure: the queue counts it done (the handler
 * returned), the outcome says why nothing was published.
 */
function expectFailedFix(jobs: readonly StoredJob[], message: string): void {
  expect(summarize(jobs)).toEqual([
    ['delivery', 'succeeded'],
    ['fix', 'succeeded'],
  ]);
  expect(jobs[1]?.result).toEqual({ status: 'failed', runId: expect.any(String), message });
}

/** Nothing left the machine: no branch, no pull request, no account lookups for a commit. */
async function expectNothingPublished(fixRepo: FixRepo): Promise<void> {
  expect(await fixRepo.refs(OWNER, REPO)).toEqual({ 'refs/heads/main': fixRepo.mainSha });
  expect(fixRepo.requestsFor(OWNER, REPO, 'receive-pack')).toEqual([]);
  expect(gh.pullRequestsCreated()).toEqual([]);
  expect(github.calls.filter((call) => call.path.startsWith('/users/'))).toEqual([]);
  expect(github.writes().map((call) => `${call.method} ${call.path}`)).toEqual([
    `POST /repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`,
    ...gh
      .progressEdits(PROGRESS_ID)
      .map(() => `PATCH /repos/${OWNER}/${REPO}/issues/comments/${PROGRESS_ID}`),
  ]);
}

describe('an issue labelled patchling, fixed by the App end to end', () => {
  it('pushes patchling/issue-N with one commit by the bot, co-authored by the requester, and opens a draft pull request the issue links to', async () => {
    expectAdmission();
    expectIssueJob();
    expectPublishing(NEW_PR);

    const { jobs, fixRepo, harness, final } = await fixIssue([patchStep(FIX_PATCH), answer()]);

    expect(summarize(jobs)).toEqual([
      ['delivery', 'succeeded'],
      ['fix', 'succeeded'],
    ]);
    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: `Opened the draft pull request #${NEW_PR}: Changed the code, and \`npm test\` passes.`,
      finalMessage: FIX_REPORT.summary,
    });
    expect(jobs[1]?.progress).toEqual({ comment: PROGRESS_ID });

    // The remote: main untouched, and the new branch one commit ahead of it.
    const refs = await fixRepo.refs(OWNER, REPO);
    expect(Object.keys(refs)).toEqual(['refs/heads/main', `refs/heads/${BRANCH}`]);
    expect(refs['refs/heads/main']).toBe(fixRepo.mainSha);
    const commit = await fixRepo.commit(OWNER, REPO, `refs/heads/${BRANCH}`);
    expect(commit).toEqual({
      sha: refs[`refs/heads/${BRANCH}`],
      parents: [fixRepo.mainSha],
      authorName: BOT,
      authorEmail: BOT_EMAIL,
      committerName: BOT,
      committerEmail: BOT_EMAIL,
      message: [`Fix #${ISSUE}: ${TITLE}`, '', FIX_REPORT.summary, '', CO_AUTHOR].join('\n'),
      changes: ['M\tsum.js'],
    });
    expect(await fixRepo.show(OWNER, REPO, commit.sha, 'sum.js')).toBe(FIXED_SUM.trim());
    // Pushed with the installation token, on every request.
    const pushes = fixRepo.server.requests.filter((request) => request.service === 'receive-pack');
    expect(pushes.map((request) => [request.url.split('?')[0], request.status])).toEqual([
      [`/${OWNER}/${REPO}.git/info/refs`, 200],
      [`/${OWNER}/${REPO}.git/git-receive-pack`, 200],
    ]);
    expect(pushes.every((r) => r.authorization === basicAuthHeader(github.installationToken))).toBe(
      true,
    );

    // The draft pull request, from the branch into the default branch.
    const created = gh.pullRequestsCreated();
    expect(created).toHaveLength(1);
    const request = created[0]?.body as Record<string, unknown>;
    expect({ ...request, body: undefined }).toEqual({
      title: `Fix #${ISSUE}: ${TITLE}`,
      head: BRANCH,
      base: 'main',
      draft: true,
      maintainer_can_modify: true,
      body: undefined,
    });
    const body = String(request.body);
    expect(body.split('\n\n').slice(0, 3)).toEqual([
      `Fixes #${ISSUE}`,
      '## What changed',
      FIX_REPORT.summary,
    ]);
    expect(body).toContain('- `sum.js` (modified)');
    expect(body).toContain(
      '## Tests\n\nPatchling ran `npm test` (from package.json scripts.test) in the sandbox after the change: ✅ passed.',
    );
    // The test output's tail, and the agent's own claims, marked as such.
    expect(body).toContain('sum(2, 3) is 5: ok');
    expect(body).toContain("The agent's own runs:\n- ✅ `npm test`: sum(2, 3) is 5.");
    expect(body).toContain(`## Risks\n\n${FIX_REPORT.risks}`);
    expect(body).toMatch(/## Model usage\n\n`test-model` \(openai\): \d[\d,]* input tokens/);
    expect(
      body.endsWith(
        `@${REQUESTER}, please review: Patchling opened this pull request as a draft and will not merge it.`,
      ),
    ).toBe(true);

    // The issue's progress comment: created queued, finally done with the pull request's link.
    const posted = github.calls.find(
      (call) => call.method === 'POST' && call.path.endsWith('/comments'),
    );
    expect((posted?.body as { body: string }).body).toContain('🕒 **Patchling fix** is queued.');
    expect(final).toContain('✅ **Patchling fix** is done.');
    expect(final).toContain(
      `Opened the draft pull request #${NEW_PR}: Changed the code, and \`npm test\` passes.`,
    );
    expect(final).toContain(
      `[View the result](https://github.com/${OWNER}/${REPO}/pull/${NEW_PR})`,
    );

    // GitHub got exactly these writes: the comment, its edits, the pull request.
    expect(
      github
        .writes()
        .filter((call) => call.method !== 'PATCH')
        .map((call) => `${call.method} ${call.path}`),
    ).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`,
      `POST /repos/${OWNER}/${REPO}/pulls`,
    ]);

    // The model had the issue as data, and the detected test command.
    const task = JSON.stringify(model?.requests[0]?.body);
    expect(task).toContain(`Fix issue #${ISSUE} of ${OWNER}/${REPO}.`);
    expect(task).toContain('`npm test` (from package.json scripts.test)');
    expect(task).toContain(
      '<untrusted-data source=\\"issue body\\">\\n`sum(2, 3)` is -1. `npm test` fails.\\n</untrusted-data>',
    );
    expect(task).toContain(`comment by ${REQUESTER}`);
    expect(task).not.toContain('An old Patchling comment');

    // The token went to git only.
    const places: Record<string, string> = {
      logs: JSON.stringify(harness.logs),
      'model requests': (model?.requests ?? []).map((r) => r.rawBody).join('\n'),
      'GitHub bodies': JSON.stringify(github.writes().map((call) => call.body)),
      'commit message': commit.message,
    };
    for (const file of await filesUnder(path.join(harness.stateDir, 'runs'))) {
      places[file] = await readFile(file, 'utf8');
    }
    expectNoToken(places);
    expect(await readdir(path.join(harness.stateDir, 'workspaces'))).toEqual([]);
  }, 90_000);
});

describe('a fix the App refuses to publish', () => {
  beforeEach(() => {
    expectAdmission();
    expectIssueJob();
  });

  it('does not push a change to .github/workflows', async () => {
    const workflowPatch = [
      '*** Begin Patch',
      '*** Update File: sum.js',
      '@@',
      '-exports.sum = (a, b) => a - b;',
      '+exports.sum = (a, b) => a + b;',
      '*** Update File: .github/workflows/ci.yml',
      '@@',
      '       - uses: actions/checkout@v4',
      '-      - run: npm test',
      '+      - run: npm test || true',
      '*** End Patch',
      '',
    ].join('\n');
    const { jobs, fixRepo, final } = await fixIssue([patchStep(workflowPatch), answer()]);

    expectFailedFix(
      jobs,
      'The change was not published: it changes .github/workflows/ci.yml under .github/workflows, which fix.allow_workflow_changes does not allow.',
    );
    await expectNothingPublished(fixRepo);
    expect(final).toContain(
      '❌ **Patchling fix** failed: No pull request was opened: a check refused the change.',
    );
    expect(final).toContain(
      'The change was refused:\n- it changes .github/workflows/ci.yml under .github/workflows, which fix.allow_workflow_changes does not allow',
    );
  }, 90_000);

  it('does not push a change that holds the installation token, in any spelling', async () => {
    // A prompt-injected model that somehow learned the token writes it into the repository.
    const token = github.installationToken;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const leak = [
      '*** Begin Patch',
      '*** Update File: sum.js',
      '@@',
      '-exports.sum = (a, b) => a - b;',
      '+exports.sum = (a, b) => a + b;',
      '*** Add File: debug.txt',
      `+token=${token}`,
      '*** Add File: auth.txt',
      `+Authorization: Basic ${basic}`,
      '*** End Patch',
      '',
    ].join('\n');
    const { jobs, fixRepo, final } = await fixIssue([patchStep(leak), answer()]);

    expectFailedFix(
      jobs,
      'The change was not published: auth.txt contains a secret value; debug.txt contains a secret value.',
    );
    await expectNothingPublished(fixRepo);
    expect(final).toContain(
      '❌ **Patchling fix** failed: No pull request was opened: a check refused the change.',
    );
    expect(final).toContain('- auth.txt contains a secret value');
    expect(final).toContain('- debug.txt contains a secret value');
    expectNoToken({
      'GitHub bodies': JSON.stringify(github.writes().map((call) => call.body)),
    });
  }, 90_000);

  it('opens nothing when the agent changes nothing, and says so', async () => {
    const report: FixOutput = {
      summary: 'I could not reproduce the bug.',
      files_changed: [],
      tests: [],
      risks: '',
    };
    const { jobs, fixRepo, final } = await fixIssue([answer(report)]);

    expectFailedFix(jobs, 'The agent changed nothing.');
    await expectNothingPublished(fixRepo);
    expect(final).toContain(
      '❌ **Patchling fix** failed: No pull request was opened: the agent found nothing to change.',
    );
    expect(final).toContain('What the agent reported:\n\nI could not reproduce the bug.');
  }, 90_000);

  it('opens nothing when the tests still fail, and shows their last output', async () => {
    const wrongFix = [
      '*** Begin Patch',
      '*** Update File: sum.js',
      '@@',
      '-exports.sum = (a, b) => a - b;',
      '+exports.sum = (a, b) => a * b;',
      '*** End Patch',
      '',
    ].join('\n');
    const { jobs, fixRepo, final } = await fixIssue([patchStep(wrongFix), answer()]);

    expectFailedFix(jobs, 'The tests still fail: `npm test` exits with 1.');
    await expectNothingPublished(fixRepo);
    expect(final).toContain(
      '❌ **Patchling fix** failed: No pull request was opened: the tests still fail: `npm test` exits with 1.',
    );
    expect(final).toContain(
      'Patchling ran `npm test` (from package.json scripts.test) in the sandbox after the change: ❌ failed (exit 1).',
    );
    expect(final).toContain('sum(2, 3) should be 5, got 6');
  }, 90_000);
});

describe('a /patchling fix on a pull request from a fork that does not allow maintainer pushes', () => {
  const PR = 21;
  const FORK = 'octo-forker';
  const COMMAND_ID = 492700401;
  const PR_TITLE = 'Document sum';
  const PR_BRANCH = `patchling/pr-${PR}`;

  /** The fork's pull request, the command on it, and the App until both jobs settle. */
  async function fixForkPullRequest(config: string | undefined, publishes: boolean) {
    repo = await createFixRepo({
      owner: OWNER,
      repo: REPO,
      token: github.installationToken,
      pullRequest: { number: PR, forkOwner: FORK },
    });
    const headSha = repo.headSha ?? '';
    const forkRefsBefore = await repo.refs(FORK, REPO);
    expect(forkRefsBefore).toEqual({
      'refs/heads/feature': headSha,
      'refs/heads/main': repo.mainSha,
    });

    expectAdmission();
    gh.reaction(COMMAND_ID);
    gh.progressComment(PR, PROGRESS_ID);
    github.repoConfig(OWNER, REPO, config);
    gh.issueComments(PR, [{ author: REQUESTER, body: '/patchling fix make sum add' }]);
    gh.pullRequest(
      PR,
      pullRequestJson({
        number: PR,
        title: PR_TITLE,
        headSha,
        headOwner: FORK,
        mainSha: repo.mainSha,
      }),
    );
    if (publishes) {
      // The base branch's AGENTS.md, never the fork's: the checkout is its author's.
      github.repoFile(OWNER, REPO, 'AGENTS.override.md', 'main');
      github.repoFile(OWNER, REPO, 'AGENTS.md', 'main');
      expectPublishing(NEW_PR);
    }

    const harness = await start(publishes ? [patchStep(FIX_PATCH), answer()] : [], repo);
    const delivered = await harness.deliver(
      'issue_comment',
      fixCommandOnPullRequest(PR, PR_TITLE, COMMAND_ID),
    );
    expect(delivered.status).toBe(200);
    const jobs = await harness.settled(2, 60_000);
    return { jobs, headSha, forkRefsBefore, fixRepo: repo };
  }

  it('refuses by default: the fork’s commits are not copied here, nothing is pushed, the comment says why', async () => {
    const { jobs, forkRefsBefore, fixRepo } = await fixForkPullRequest(undefined, false);
    expect(summarize(jobs)).toEqual([
      ['delivery', 'succeeded'],
      ['fix', 'succeeded'],
    ]);
    expect(jobs[1]?.result).toMatchObject({ status: 'failed' });
    expect(Object.keys(await fixRepo.refs(OWNER, REPO)).sort()).toEqual([
      'refs/heads/main',
      `refs/pull/${PR}/head`,
    ]);
    expect(await fixRepo.refs(FORK, REPO)).toEqual(forkRefsBefore);
    expect(fixRepo.requestsFor(OWNER, REPO, 'receive-pack')).toEqual([]);
    expect(gh.pullRequestsCreated()).toEqual([]);
    expect(gh.finalProgress(PROGRESS_ID)).toContain('fix.allow_fork_copies');
  }, 90_000);

  it('with fix.allow_fork_copies, pushes patchling/pr-N to the base repository from the pull request head, opens a new draft into its base, and leaves the fork alone', async () => {
    const { jobs, headSha, forkRefsBefore, fixRepo } = await fixForkPullRequest(
      'fix:\n  allow_fork_copies: true\n',
      true,
    );

    expect(summarize(jobs)).toEqual([
      ['delivery', 'succeeded'],
      ['fix', 'succeeded'],
    ]);
    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: `Opened the draft pull request #${NEW_PR}: Changed the code, and \`npm test\` passes.`,
    });

    // The base repository: a new branch on top of the pull request's head.
    const refs = await fixRepo.refs(OWNER, REPO);
    expect(Object.keys(refs).sort()).toEqual([
      'refs/heads/main',
      `refs/heads/${PR_BRANCH}`,
      `refs/pull/${PR}/head`,
    ]);
    expect(refs['refs/heads/main']).toBe(fixRepo.mainSha);
    expect(refs[`refs/pull/${PR}/head`]).toBe(headSha);
    const commit = await fixRepo.commit(OWNER, REPO, `refs/heads/${PR_BRANCH}`);
    expect(commit).toMatchObject({
      parents: [headSha],
      authorName: BOT,
      authorEmail: BOT_EMAIL,
      message: [`Changes asked for in #${PR}`, '', FIX_REPORT.summary, '', CO_AUTHOR].join('\n'),
      changes: ['M\tsum.js'],
    });

    // The fork: not fetched from, not pushed to, unchanged.
    expect(fixRepo.requestsFor(FORK, REPO, 'receive-pack')).toEqual([]);
    expect(fixRepo.requestsFor(FORK, REPO, 'upload-pack')).toEqual([]);
    expect(await fixRepo.refs(FORK, REPO)).toEqual(forkRefsBefore);

    // A new draft pull request in the base repository, into the pull request's base.
    const created = gh.pullRequestsCreated();
    expect(created).toHaveLength(1);
    const request = created[0]?.body as Record<string, unknown>;
    expect({ ...request, body: undefined }).toEqual({
      title: `Fixes for #${PR}: ${PR_TITLE}`,
      head: PR_BRANCH,
      base: 'main',
      draft: true,
      maintainer_can_modify: true,
      body: undefined,
    });
    expect(String(request.body)).toMatch(new RegExp(`^Changes for #${PR}, as asked there\\.\n`));
    expect(String(request.body)).toContain(`@${REQUESTER}, please review`);

    // 👀 on the command, then the progress comment on the pull request with the new one's link.
    expect(
      github
        .writes()
        .filter((call) => call.method !== 'PATCH')
        .map((call) => `${call.method} ${call.path}`),
    ).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/comments/${COMMAND_ID}/reactions`,
      `POST /repos/${OWNER}/${REPO}/issues/${PR}/comments`,
      `POST /repos/${OWNER}/${REPO}/pulls`,
    ]);
    expect(gh.finalProgress(PROGRESS_ID)).toContain(
      `[View the result](https://github.com/${OWNER}/${REPO}/pull/${NEW_PR})`,
    );
  }, 90_000);
});

describe('a /patchling fix on a pull request whose own branch refuses the push', () => {
  const PR = 22;
  const COMMAND_ID = 492700402;
  const PR_TITLE = 'Document sum';

  it('proposes the fix from patchling/pr-N into that branch instead of losing it', async () => {
    repo = await createFixRepo({
      owner: OWNER,
      repo: REPO,
      token: github.installationToken,
      pullRequest: { number: PR, forkOwner: 'octo-unused-fork' },
    });
    const fixRepo = repo;
    const headSha = fixRepo.headSha ?? '';
    // The pull request's branch lives in this repository, and the server protects it.
    const bare = fixRepo.bare(OWNER, REPO);
    await execFileAsync('git', ['update-ref', 'refs/heads/feature', headSha], { cwd: bare });
    const hook = path.join(bare, 'hooks', 'pre-receive');
    await writeFile(
      hook,
      [
        '#!/bin/sh',
        'while read old new ref; do',
        '  if [ "$ref" = refs/heads/feature ]; then echo "feature is protected" >&2; exit 1; fi',
        'done',
        'exit 0',
        '',
      ].join('\n'),
    );
    await chmod(hook, 0o755);

    expectAdmission();
    gh.reaction(COMMAND_ID);
    gh.progressComment(PR, PROGRESS_ID);
    github.repoConfig(OWNER, REPO);
    gh.issueComments(PR, [{ author: REQUESTER, body: '/patchling fix make sum add' }]);
    gh.pullRequest(
      PR,
      pullRequestJson({
        number: PR,
        title: PR_TITLE,
        headSha,
        headOwner: OWNER,
        mainSha: fixRepo.mainSha,
      }),
    );
    github.repoFile(OWNER, REPO, 'AGENTS.override.md', 'main');
    github.repoFile(OWNER, REPO, 'AGENTS.md', 'main');
    expectPublishing(NEW_PR);

    const harness = await start([patchStep(FIX_PATCH), answer()], fixRepo);
    const delivered = await harness.deliver(
      'issue_comment',
      fixCommandOnPullRequest(PR, PR_TITLE, COMMAND_ID),
    );
    expect(delivered.status).toBe(200);
    const jobs = await harness.settled(2, 60_000);

    expect(summarize(jobs)).toEqual([
      ['delivery', 'succeeded'],
      ['fix', 'succeeded'],
    ]);
    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: `Opened the draft pull request #${NEW_PR}: Changed the code, and \`npm test\` passes.`,
    });
    const refs = await fixRepo.refs(OWNER, REPO);
    // The protected branch is untouched; the fix sits on Patchling's branch, on top of it.
    expect(refs['refs/heads/feature']).toBe(headSha);
    const commit = await fixRepo.commit(OWNER, REPO, `refs/heads/patchling/pr-${PR}`);
    expect(commit.parents).toEqual([headSha]);
    expect(commit.changes).toEqual(['M\tsum.js']);
    const created = gh.pullRequestsCreated();
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toMatchObject({
      head: `patchling/pr-${PR}`,
      base: 'feature',
      draft: true,
    });
    expect(gh.finalProgress(PROGRESS_ID)).toContain(
      `[View the result](https://github.com/${OWNER}/${REPO}/pull/${NEW_PR})`,
    );
  }, 90_000);
});

describe('the agent and the push credentials', () => {
  it('cannot push from the sandbox nor find the token anywhere it can read', async () => {
    expectAdmission();
    expectIssueJob();
    expectPublishing(NEW_PR);
    const token = github.installationToken;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');

    const { jobs, fixRepo, final } = await fixIssue([
      step.toolCalls([
        {
          name: 'shell',
          arguments: { command: 'git push origin HEAD:refs/heads/evil' },
          callId: 'call_push',
        },
        {
          name: 'shell',
          arguments: {
            command: `env; cat .git/config; git config --list --show-origin; grep -rF -e ${token} -e ${basic} . /tmp "$HOME"`,
          },
          callId: 'call_look',
        },
      ]),
      patchStep(FIX_PATCH),
      answer(),
    ]);

    const outputs = functionOutputs(model?.requests[1]);
    expect(Object.keys(outputs).sort()).toEqual(['call_look', 'call_push']);
    const push = outputs.call_push ?? '';
    const look = outputs.call_look ?? '';
    // The push failed inside the sandbox (no network, no credentials).
    expect(push).toMatch(/^Exit code: [1-9]\d*\n/);
    expect(push).toContain(`fatal: unable to access '${fixRepo.url}/${OWNER}/${REPO}.git/'`);
    // env, .git/config and git's config ran, and grep found nothing (exit 1).
    expect(look).toMatch(/^Exit code: 1\n/);
    expect(look).toContain('[remote "origin"]');
    expect(look).toContain(`url = ${fixRepo.url}/${OWNER}/${REPO}.git`);
    expect(look).toMatch(/^PATH=/m);
    for (const output of [push, look]) {
      for (const secret of tokenSpellings()) expect(output).not.toContain(secret);
      // Not merely redacted on the way out: the value was not there.
      expect(output).not.toContain('[REDACTED]');
      expect(output).not.toContain('extraheader');
      expect(output).not.toContain('GIT_CONFIG_');
      expect(output).not.toContain('Authorization');
    }

    // The fix itself was published with Patchling's own push; no `evil` branch exists.
    expect(summarize(jobs)).toEqual([
      ['delivery', 'succeeded'],
      ['fix', 'succeeded'],
    ]);
    expect(Object.keys(await fixRepo.refs(OWNER, REPO))).toEqual([
      'refs/heads/main',
      `refs/heads/${BRANCH}`,
    ]);
    // The only pushes the server saw carried the token, i.e. came from Patchling.
    expect(
      fixRepo.server.requests
        .filter((request) => request.service === 'receive-pack')
        .map((request) => [request.status, request.authorization === basicAuthHeader(token)]),
    ).toEqual([
      [200, true],
      [200, true],
    ]);
    expect(final).toContain(
      `[View the result](https://github.com/${OWNER}/${REPO}/pull/${NEW_PR})`,
    );
  }, 90_000);
});

// A prompt-injected model that learned the token and quotes it in its report or its plan:
// the progress, the job result and the pull request must hide it.
describe('a report or plan that quotes the installation token', () => {
  it('is redacted in the draft pull request and the job result', async () => {
    expectAdmission();
    expectIssueJob();
    expectPublishing(NEW_PR);
    const token = github.installationToken;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const { jobs, harness } = await fixIssue([
      patchStep(FIX_PATCH),
      answer({
        ...FIX_REPORT,
        summary: `sum adds now. Debug: ${token}`,
        risks: `Sent ${basic}.`,
      }),
    ]);

    expect(summarize(jobs)).toEqual([
      ['delivery', 'succeeded'],
      ['fix', 'succeeded'],
    ]);
    const body = String((gh.pullRequestsCreated()[0]?.body as { body?: unknown }).body);
    expect(body).toContain('sum adds now. Debug: [REDACTED]');
    expectNoToken({
      'GitHub bodies': JSON.stringify(github.writes().map((call) => call.body)),
      'job result': JSON.stringify(jobs[1]?.result),
      logs: JSON.stringify(harness.logs),
    });
  }, 90_000);

  it('is redacted in the progress comment when nothing is published', async () => {
    expectAdmission();
    expectIssueJob();
    const token = github.installationToken;
    const { jobs, final } = await fixIssue([
      step.toolCalls([
        {
          name: 'update_plan',
          arguments: { plan: [{ step: `Print ${token}`, status: 'in_progress' }] },
          callId: 'call_plan',
        },
      ]),
      answer({
        summary: `Nothing to do. Debug: ${token}`,
        files_changed: [],
        tests: [],
        risks: '',
      }),
    ]);

    expectFailedFix(jobs, 'The agent changed nothing.');
    expect(final).toContain('What the agent reported:\n\nNothing to do. Debug: [REDACTED]');
    expect(final).toContain('**Print [REDACTED]**');
    expectNoToken({
      'GitHub bodies': JSON.stringify(github.writes().map((call) => call.body)),
    });
  }, 90_000);
});
