import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FixOutput } from '../../src/jobs/fix/fix-output.js';
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
import { npmDependencyRepoFiles, TINY_SUM } from '../support/npm-dependency-repo.js';
import { startNpmRegistry, type TestNpmRegistry } from '../support/npm-registry.js';
import { testModelConfig } from '../support/test-model-config.js';
import { webhookPayload } from '../support/webhook-payloads.js';
import { fixGitHub, repositoryJson, type FixGitHub } from './fix-github.js';
import { createFixRepo, type FixRepo } from './fix-repo.js';

const OWNER = 'octo-org';
const REPO = 'widgets';
const ISSUE = 21;
const NEW_PR = 22;
const PROGRESS_ID = 7101;
const REQUESTER = 'octo-maintainer';
const REQUESTER_ID = 583231;
const BOT = `${APP_SLUG}[bot]`;
const BOT_ID = 41898282;
const TITLE = 'add subtracts its second argument';
const ISSUE_BODY = '`add(2, 3)` is -1. `npm test` fails.';
const BRANCH = `patchling/issue-${ISSUE}`;

const FIX_PATCH = [
  '*** Begin Patch',
  '*** Update File: add.js',
  '@@',
  '-exports.add = (a, b) => sum(a, -b);',
  '+exports.add = (a, b) => sum(a, b);',
  '*** End Patch',
  '',
].join('\n');
const FIX_REPORT: FixOutput = {
  summary: '`add` negated its second argument before summing; it no longer does.',
  files_changed: ['add.js'],
  tests: [{ command: 'npm test', passed: true, notes: 'add(2, 3) is 5.' }],
  risks: 'None known.',
};

let registry: TestNpmRegistry;
let github: GitHubMock;
let gh: FixGitHub;
let repo: FixRepo | undefined;
let model: ScriptedModelServer | undefined;
let app: AppHarness | undefined;

beforeAll(async () => {
  registry = await startNpmRegistry();
  await registry.publish(TINY_SUM.name, TINY_SUM.version, TINY_SUM.files);
}, 120_000);

afterAll(async () => {
  await registry?.close();
});

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

describe('the App fixes an issue in a repository that needs its npm dependencies', () => {
  it('installs them in setup (npm ci, detected from package-lock.json) through the allowlist, and the draft PR shows the tests passing with them', async () => {
    gh.admission(REQUESTER);
    gh.issueJob({
      number: ISSUE,
      progressId: PROGRESS_ID,
      title: TITLE,
      body: ISSUE_BODY,
      author: 'octo-reporter',
    });
    gh.user(BOT, BOT_ID);
    gh.user(REQUESTER, REQUESTER_ID);
    gh.createPullRequest(NEW_PR);

    repo = await createFixRepo({
      owner: OWNER,
      repo: REPO,
      token: github.installationToken,
      files: await npmDependencyRepoFiles(registry, { broken: true }),
    });
    model = await startScriptedModelServer([
      step.toolCalls([
        { name: 'shell', arguments: { command: 'npm test' }, callId: 'call_before' },
      ]),
      step.toolCalls([
        { name: 'apply_patch', arguments: { input: FIX_PATCH }, callId: 'call_patch' },
      ]),
      step.text(JSON.stringify(FIX_REPORT)),
    ]);
    app = await startTestApp({
      config: { cloneBaseUrl: repo.url },
      modelConfig: testModelConfig(model.baseURL, 'responses'),
      env: { PATCHLING_NETWORK_ALLOW: `127.0.0.1:${registry.port}` },
    });
    const delivered = await app.deliver(
      'issues',
      webhookPayload('issues', 'labeled', {
        issue: { number: ISSUE, title: TITLE, body: ISSUE_BODY, state: 'open' },
        label: { name: 'patchling' },
        repository: repositoryJson(OWNER, REPO),
        sender: { login: REQUESTER, id: REQUESTER_ID, type: 'User' },
      }),
    );
    expect(delivered.status).toBe(200);
    const jobs = await app.settled(2, 120_000);

    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: `Opened the draft pull request #${NEW_PR}: Changed the code, and \`npm test\` passes.`,
    });
    // Setup ran once, detected from the lockfile, and its result went into the cache.
    const setupLogs = app.logs.filter((entry) => entry.msg === 'setup finished');
    expect(setupLogs).toEqual([expect.objectContaining({ status: 'installed' })]);
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        msg: 'setup',
        line: 'Setup: running `npm ci` (from package-lock.json)',
      }),
    );
    expect(await readdir(path.join(app.stateDir, 'setup-cache'))).toHaveLength(1);

    // The agent's own test run, before the fix: the dependency was there, only add was wrong.
    const secondRequest = JSON.stringify(model.requests[1]?.body);
    expect(secondRequest).toContain('FAIL: add(2, 3) = -1');
    expect(secondRequest).not.toContain('Cannot find module');

    // The draft pull request's test evidence: Patchling's run, with the installed package.
    const body = String((gh.pullRequestsCreated()[0]?.body as { body: string }).body);
    expect(body).toContain(
      'Patchling ran `npm test` (from package.json scripts.test) in the sandbox after the change: ✅ passed.',
    );
    expect(body).toContain('PASS: add(2, 3) = 5 with tiny-sum');

    // node_modules is no part of the commit.
    const commit = await repo.commit(OWNER, REPO, `refs/heads/${BRANCH}`);
    expect(commit.changes).toEqual(['M\tadd.js']);
    expect(gh.finalProgress(PROGRESS_ID)).toContain('✅ **Patchling fix** is done.');
  }, 180_000);
});

describe('a fix whose setup fails', () => {
  const FAILING_SETUP = 'setup:\n  run: |\n    echo installing\n    echo boom >&2\n    exit 3\n';
  const SUM_PATCH = [
    '*** Begin Patch',
    '*** Update File: sum.js',
    '@@',
    '-exports.sum = (a, b) => a - b;',
    '+exports.sum = (a, b) => a + b;',
    '*** End Patch',
    '',
  ].join('\n');

  async function run(yaml: string, script: Parameters<typeof startScriptedModelServer>[0]) {
    gh.admission(REQUESTER, yaml);
    gh.issueJob({
      number: ISSUE,
      progressId: PROGRESS_ID,
      title: TITLE,
      body: ISSUE_BODY,
      author: 'octo-reporter',
      yaml,
    });
    repo = await createFixRepo({ owner: OWNER, repo: REPO, token: github.installationToken });
    model = await startScriptedModelServer(script);
    app = await startTestApp({
      config: { cloneBaseUrl: repo.url },
      modelConfig: testModelConfig(model.baseURL, 'responses'),
    });
    await app.deliver(
      'issues',
      webhookPayload('issues', 'labeled', {
        issue: { number: ISSUE, title: TITLE, body: ISSUE_BODY, state: 'open' },
        label: { name: 'patchling' },
        repository: repositoryJson(OWNER, REPO),
        sender: { login: REQUESTER, id: REQUESTER_ID, type: 'User' },
      }),
    );
    return app.settled(2, 90_000);
  }

  it('goes on without it by default, and says so with the fix', async () => {
    gh.user(BOT, BOT_ID);
    gh.user(REQUESTER, REQUESTER_ID);
    gh.createPullRequest(NEW_PR);
    const jobs = await run(FAILING_SETUP, [
      step.toolCalls([
        { name: 'apply_patch', arguments: { input: SUM_PATCH }, callId: 'call_patch' },
      ]),
      step.text(JSON.stringify({ ...FIX_REPORT, files_changed: ['sum.js'] })),
    ]);
    const note = 'Setup (setup.run) failed with exit code 3; the job went on without it.';
    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: `Opened the draft pull request #${NEW_PR}: Changed the code, and \`npm test\` passes. ${note}`,
    });
  }, 120_000);

  it('stops the job with the end of the setup output under setup.on_failure: stop', async () => {
    const jobs = await run(`${FAILING_SETUP}  on_failure: stop\n`, []);
    expect(jobs[1]?.result).toMatchObject({
      status: 'failed',
      message: 'Setup (setup.run) failed with exit code 3; setup.on_failure is stop.',
    });
    const final = gh.finalProgress(PROGRESS_ID);
    expect(final).toContain('The end of the setup output');
    expect(final).toContain('installing\nboom');
    expect(model?.requests).toEqual([]);
    expect(Object.keys(await (repo as FixRepo).refs(OWNER, REPO))).toEqual(['refs/heads/main']);
  }, 120_000);
});
