import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FixOutput } from '../../src/jobs/fix/fix-output.js';
import { pushedBranches } from '../../src/jobs/fix/pushed-branches.js';
import {
  APP_SLUG,
  expectGitHubMockSettled,
  startGitHubMock,
  startTestApp,
  type AppHarness,
  type GitHubMock,
} from '../support/app-harness.js';
import {
  startScriptedModelServer,
  step,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testModelConfig } from '../support/test-model-config.js';
import { webhookPayload } from '../support/webhook-payloads.js';
import { git } from '../workspace/git/pr-fixture.js';
import { fixGitHub, PULLS, repositoryJson, type FixGitHub } from './fix-github.js';
import { createFixRepo, type FixRepo } from './fix-repo.js';

const OWNER = 'octo-org';
const REPO = 'widgets';
const ISSUE = 31;
const NEW_PR = 32;
const PROGRESS_ID = 7201;
const REQUESTER = 'octo-maintainer';
const REQUESTER_ID = 583231;
const BOT = `${APP_SLUG}[bot]`;
const BOT_ID = 41898282;
const TITLE = 'sum subtracts instead of adding';
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
  summary: '`sum` subtracted; it adds now.',
  files_changed: ['sum.js'],
  tests: [{ command: 'npm test', passed: true, notes: 'ok' }],
  risks: 'None.',
};

let github: GitHubMock;
let gh: FixGitHub;
let repo: FixRepo | undefined;
let model: ScriptedModelServer | undefined;
let app: AppHarness | undefined;

beforeEach(async () => {
  github = startGitHubMock();
  gh = fixGitHub(github, OWNER, REPO);
  gh.admission(REQUESTER);
  gh.issueJob({
    number: ISSUE,
    progressId: PROGRESS_ID,
    title: TITLE,
    body: 'sum(2, 3) is -1',
    author: 'octo-reporter',
  });
  gh.user(BOT, BOT_ID);
  gh.user(REQUESTER, REQUESTER_ID);
  repo = await createFixRepo({ owner: OWNER, repo: REPO, token: github.installationToken });
});

afterEach(async () => {
  await app?.close();
  await model?.close();
  await repo?.close();
  app = model = repo = undefined;
  expectGitHubMockSettled(github);
});

async function runFix() {
  model = await startScriptedModelServer([
    step.toolCalls([
      { name: 'apply_patch', arguments: { input: FIX_PATCH }, callId: 'call_patch' },
    ]),
    step.text(JSON.stringify(FIX_REPORT)),
  ]);
  app = await startTestApp({
    config: { cloneBaseUrl: (repo as FixRepo).url },
    modelConfig: testModelConfig(model.baseURL, 'responses'),
  });
  const delivered = await app.deliver(
    'issues',
    webhookPayload('issues', 'labeled', {
      issue: { number: ISSUE, title: TITLE, body: 'sum(2, 3) is -1', state: 'open' },
      label: { name: 'patchling' },
      repository: repositoryJson(OWNER, REPO),
      sender: { login: REQUESTER, id: REQUESTER_ID, type: 'User' },
    }),
  );
  expect(delivered.status).toBe(200);
  return app.settled(2, 90_000);
}

describe('publishing a fix when its branch or the pull request fails', () => {
  it('leaves a commit someone pushed to patchling/issue-N alone (the lease fails) and proposes the fix from a fallback branch', async () => {
    const fixRepo = repo as FixRepo;
    // A maintainer's commit on Patchling's branch, which Patchling never pushed.
    await git(fixRepo.bare(OWNER, REPO), 'update-ref', `refs/heads/${BRANCH}`, fixRepo.mainSha);
    gh.createPullRequest(NEW_PR);

    const jobs = await runFix();

    const refs = await fixRepo.refs(OWNER, REPO);
    expect(refs[`refs/heads/${BRANCH}`]).toBe(fixRepo.mainSha);
    const fallback = Object.keys(refs).find((ref) => ref.startsWith(`refs/heads/${BRANCH}-`));
    expect(fallback).toMatch(new RegExp(`^refs/heads/${BRANCH}-[0-9a-f]{8}$`));
    const commit = await fixRepo.commit(OWNER, REPO, fallback as string);
    expect(fallback).toBe(`refs/heads/${BRANCH}-${commit.sha.slice(0, 8)}`);
    expect(commit.changes).toEqual(['M\tsum.js']);

    const created = gh.pullRequestsCreated()[0]?.body as Record<string, unknown>;
    expect(created).toMatchObject({ head: fallback?.slice('refs/heads/'.length), base: 'main' });
    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: `Opened the draft pull request #${NEW_PR} (\`${BRANCH}\` refused the push, so the fix went to \`${fallback?.slice('refs/heads/'.length)}\`): Changed the code, and \`npm test\` passes.`,
    });
  }, 120_000);

  it('records what it pushed to patchling/issue-N: the lease of the next attempt', async () => {
    const fixRepo = repo as FixRepo;
    gh.createPullRequest(NEW_PR);
    await runFix();
    const tip = (await fixRepo.refs(OWNER, REPO))[`refs/heads/${BRANCH}`];
    expect(tip).toMatch(/^[0-9a-f]{40}$/);
    const records = pushedBranches((app as AppHarness).stateDir);
    expect(await records.lastPushed({ owner: OWNER, repo: REPO, branch: BRANCH })).toBe(tip);
  }, 120_000);

  it('puts the patch in the comment when nothing can be pushed', async () => {
    const fixRepo = repo as FixRepo;
    await git(fixRepo.bare(OWNER, REPO), 'config', 'http.receivepack', 'false');

    const jobs = await runFix();

    expect(jobs[1]?.result).toMatchObject({
      status: 'failed',
      message: 'The fix is ready but could not be pushed; the patch is below.',
    });
    expect(Object.keys(await fixRepo.refs(OWNER, REPO))).toEqual(['refs/heads/main']);
    expect(gh.pullRequestsCreated()).toEqual([]);
    const final = gh.finalProgress(PROGRESS_ID);
    expect(final).toContain('The fix is ready but could not be pushed; the patch is below.');
    expect(final).toContain(`Nothing could be pushed: pushing to \`${BRANCH}\``);
    expect(final).toContain('```diff\ndiff --git a/sum.js b/sum.js');
    expect(final).toContain('-exports.sum = (a, b) => a - b;\n+exports.sum = (a, b) => a + b;');
    expect(final).not.toContain(github.installationToken);
  }, 120_000);

  it('keeps the pushed branch and links it when the pull request cannot be opened', async () => {
    const fixRepo = repo as FixRepo;
    // What GitHub answers an App without pull_requests: write.
    github.write('POST', PULLS, { owner: OWNER, repo: REPO }, () => [
      403,
      {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      },
    ]);

    const jobs = await runFix();

    const refs = await fixRepo.refs(OWNER, REPO);
    expect(refs[`refs/heads/${BRANCH}`]).toBeDefined();
    const result = jobs[1]?.result as { status: string; message: string };
    expect(result.status).toBe('completed');
    expect(result.message).toMatch(
      new RegExp(
        `^Pushed [0-9a-f]{7} to \`${BRANCH}\`, but the draft pull request could not be opened \\(.*\\); open it from the branch`,
      ),
    );
    expect(gh.finalProgress(PROGRESS_ID)).toContain(
      `https://github.com/${OWNER}/${REPO}/compare/main...${encodeURIComponent(BRANCH)}`,
    );
  }, 120_000);
});
