/**
 * A review with `review.verify` runs the setup phase first, end to end: a pull request on a
 * project that needs `tiny-sum` from the real test npm registry (verdaccio on loopback, not
 * in the repository), the setup's `npm ci` through the egress allowlist in the real sandbox,
 * a scripted model answering a finding with a suggestion, and `npm test` as the check that
 * passes with the suggestion only when the dependency is installed. GitHub is nock, every
 * write checked against GitHub's published request schemas.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Finding, ReviewOutput } from '../../src/jobs/review/finding.js';
import {
  expectGitHubMockSettled,
  startGitHubMock,
  startTestApp,
  type AppHarness,
  type GitHubMock,
  type ReviewsFake,
} from '../support/app-harness.js';
import {
  startScriptedModelServer,
  step,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { npmDependencyRepoFiles, TINY_SUM } from '../support/npm-dependency-repo.js';
import { startNpmRegistry, type TestNpmRegistry } from '../support/npm-registry.js';
import { mockProgressCheckRun } from '../support/check-run-mock.js';
import { testModelConfig } from '../support/test-model-config.js';
import { TEST_INSTALLATION, webhookPayload } from '../support/webhook-payloads.js';
import { createMultiFilePrRepo, type MultiFilePrRepo } from './multi-file-pr-repo.js';

const OWNER = 'octo-org';
const REPO = 'widgets';
const NUMBER = 7;
const CHECK_RUN_ID = 4321;
const REVIEW_ID = 80;

/** The pull request adds `subtract` and, by a slip, breaks `add` (line 2 of add.js). */
const ADD_JS = [
  "const { sum } = require('tiny-sum');",
  'exports.add = (a, b) => sum(a, -b);',
  'exports.subtract = (a, b) => sum(a, -b);',
  '',
].join('\n');
const FIXED_ADD = 'exports.add = (a, b) => sum(a, b);';
const ADD_NEGATES: Finding = {
  title: 'add negates its second argument',
  explanation: '`add(2, 3)` is -1: the line was copied from `subtract`.',
  priority: 'P1',
  confidence: 0.95,
  path: 'add.js',
  start_line: 2,
  end_line: 2,
  suggestion: `${FIXED_ADD}\n`,
};
const SUMMARY = 'Adds subtract; breaks add on the way.';
const ANSWER: ReviewOutput = { verdict: 'issues_found', summary: SUMMARY, findings: [ADD_NEGATES] };
/** test.js checks add(2, 3) through tiny-sum: it passes only with the fix and the package. */
const VERIFY = 'npm test';

const repository = {
  name: REPO,
  full_name: `${OWNER}/${REPO}`,
  owner: { login: OWNER },
  default_branch: 'main',
  html_url: `https://github.com/${OWNER}/${REPO}`,
  url: `https://api.github.com/repos/${OWNER}/${REPO}`,
};

let registry: TestNpmRegistry;
let github: GitHubMock;
let repo: MultiFilePrRepo | undefined;
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
});

afterEach(async () => {
  await app?.close();
  await model?.close();
  await repo?.close();
  app = model = repo = undefined;
  expectGitHubMockSettled(github);
});

/** GitHub's pull request shape, moved onto the test repository. */
function pullRequest(pr: MultiFilePrRepo) {
  return {
    number: NUMBER,
    title: 'Add subtract',
    body: 'subtract, next to add.',
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}`,
    head: { sha: pr.headSha, ref: pr.headRef, label: `${OWNER}:${pr.headRef}`, repo: repository },
    base: { sha: pr.baseSha, ref: 'main', label: `${OWNER}:main`, repo: repository },
  };
}

/**
 * What a review job asks of GitHub up to its setup: the config (read twice from the default
 * branch: to route the delivery, then by the job), the pull request, the check run (created,
 * in progress, final), and what Patchling posted before (nothing). With `reviewed`, also
 * what it reads after the setup and the review it posts.
 */
function mockReviewJob(pr: MultiFilePrRepo, config: string, reviewed: boolean): ReviewsFake {
  github.installationAuth(TEST_INSTALLATION.id);
  github.app();
  github.repoConfig(OWNER, REPO, config);
  github.repoConfig(OWNER, REPO, config);
  const prExample = webhookPayload('pull_request', 'opened').pull_request;
  github.scope
    .get(`/repos/${OWNER}/${REPO}/pulls/${NUMBER}`)
    .reply(200, { ...prExample, ...pullRequest(pr) });
  mockProgressCheckRun(github, { owner: OWNER, repo: REPO, id: CHECK_RUN_ID, optionalUpdates: 50 });
  github.reviewHistory(OWNER, REPO, NUMBER);
  const reviews = github.reviews(OWNER, REPO, NUMBER, {
    times: reviewed ? 1 : 0,
    firstId: REVIEW_ID,
  });
  if (reviewed) {
    github.repoFile(OWNER, REPO, 'AGENTS.override.md', 'main');
    github.repoFile(OWNER, REPO, 'AGENTS.md', 'main');
    github.repoFile(OWNER, REPO, '.gitattributes', 'main');
    github.reviewComments(OWNER, REPO, NUMBER, REVIEW_ID, reviews);
  }
  return reviews;
}

/** Runs one review of the pull request under `config`; returns the settled jobs. */
async function review(
  config: string,
  options: { readonly reviewed: boolean; readonly networkAllow: string },
) {
  repo = await createMultiFilePrRepo({
    owner: OWNER,
    repo: REPO,
    number: NUMBER,
    token: github.installationToken,
    // tiny-sum is in package.json and the lockfile, never in the repository itself.
    base: await npmDependencyRepoFiles(registry),
    changes: { 'add.js': ADD_JS },
  });
  const reviews = mockReviewJob(repo, config, options.reviewed);
  model = await startScriptedModelServer(
    options.reviewed ? [step.text(JSON.stringify(ANSWER, null, 2))] : [],
  );
  app = await startTestApp({
    config: { cloneBaseUrl: repo.url },
    modelConfig: testModelConfig(model.baseURL, 'responses'),
    env: { PATCHLING_NETWORK_ALLOW: options.networkAllow },
  });
  const delivered = await app.deliver(
    'pull_request',
    webhookPayload('pull_request', 'opened', {
      number: NUMBER,
      repository,
      installation: TEST_INSTALLATION,
      pull_request: pullRequest(repo),
    }),
  );
  expect(delivered.status).toBe(200);
  const jobs = await app.settled(2, 150_000);
  return { jobs, reviews };
}

/** The final PATCH of the check run. */
function finalCheckRun() {
  return github.calls
    .filter((call) => call.method === 'PATCH' && call.path.endsWith(`/check-runs/${CHECK_RUN_ID}`))
    .at(-1)?.body as
    | {
        status?: string;
        conclusion?: string;
        details_url?: string;
        output?: { summary?: string; text?: string };
      }
    | undefined;
}

function setupLogs(harness: AppHarness) {
  return harness.logs.filter((entry) => entry.msg === 'setup finished');
}

const commentMarker = /\n\n<!-- patchling:finding [^>]+ -->$/;

describe('a review with review.verify on a project with npm dependencies', () => {
  it('installs them in setup (npm ci through the allowlist) before the review, and posts the suggestion the check passed with them as a suggestion block', async () => {
    const { jobs, reviews } = await review(`review:\n  verify: ${VERIFY}\n`, {
      reviewed: true,
      networkAllow: `127.0.0.1:${registry.port}`,
    });
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);
    const harness = app as AppHarness;

    // Setup ran once, detected from the lockfile, installed from the registry and was cached.
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        msg: 'setup',
        line: 'Setup: running `npm ci` (from package-lock.json)',
      }),
    );
    expect(setupLogs(harness)).toEqual([
      expect.objectContaining({
        status: 'installed',
        outputTail: expect.stringMatching(/added 1 package/),
      }),
    ]);
    expect(await readdir(path.join(harness.stateDir, 'setup-cache'))).toHaveLength(1);
    expect(harness.logs).not.toContainEqual(
      expect.objectContaining({ msg: 'suggestion left out' }),
    );

    // The check passed with the suggestion applied: it is posted as a suggestion block.
    expect(reviews.requests).toHaveLength(1);
    const [posted] = reviews.requests;
    expect(posted?.commit_id).toBe(repo?.headSha);
    expect(posted?.event).toBe('COMMENT');
    expect(posted?.comments).toHaveLength(1);
    const comment = posted?.comments?.[0];
    expect(comment).toMatchObject({ path: 'add.js', line: 2, side: 'RIGHT' });
    expect(comment?.body.replace(commentMarker, '')).toBe(
      [
        `**P1 ${ADD_NEGATES.title}**`,
        '',
        ADD_NEGATES.explanation,
        '',
        '```suggestion',
        FIXED_ADD,
        '```',
      ].join('\n'),
    );

    // The check run is finalised, linking to the review.
    const outcome = 'Reviewed: 1 finding. Posted: 1 inline comment, 0 in the summary.';
    expect(jobs[1]?.result).toMatchObject({ status: 'completed', message: outcome });
    const final = finalCheckRun();
    expect(final).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-${REVIEW_ID}`,
    });
    expect(final?.output?.summary).toContain(outcome);
    expect(await readdir(path.join(harness.stateDir, 'workspaces'))).toEqual([]);
  }, 200_000);
});

describe('a review with review.verify whose setup fails (the registry is not allowlisted)', () => {
  // The loopback registry is not in the allowlist: the egress proxy refuses npm ci.
  const NOT_ALLOWED = 'registry.npmjs.org';

  it('goes on without the dependencies under setup.on_failure: continue: the review posts, the suggestion is left out with the reason its check failed, and the outcome says setup failed', async () => {
    const { jobs, reviews } = await review(
      `review:\n  verify: ${VERIFY}\nsetup:\n  on_failure: continue\n`,
      { reviewed: true, networkAllow: NOT_ALLOWED },
    );
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);
    const harness = app as AppHarness;
    expect(setupLogs(harness)).toEqual([
      expect.objectContaining({
        status: 'failed',
        outputTail: expect.stringContaining(
          `Patchling's egress proxy refused 127.0.0.1:${registry.port}`,
        ),
      }),
    ]);
    // Without tiny-sum the check cannot pass, whatever the suggestion.
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        msg: 'suggestion left out',
        path: 'add.js',
        title: ADD_NEGATES.title,
        reason: expect.stringMatching(/^the check failed with exit code 1:[\s\S]*MODULE_NOT_FOUND/),
      }),
    );

    expect(reviews.requests).toHaveLength(1);
    const comment = reviews.requests[0]?.comments?.[0];
    expect(comment).toMatchObject({ path: 'add.js', line: 2, side: 'RIGHT' });
    expect(comment?.body.replace(commentMarker, '')).toBe(
      [
        `**P1 ${ADD_NEGATES.title}**`,
        '',
        ADD_NEGATES.explanation,
        '',
        '_A suggested change was left out: the check failed with exit code 1._',
      ].join('\n'),
    );
    expect(JSON.stringify(reviews.requests)).not.toContain('```suggestion');

    // The outcome says why no suggestion could pass: the setup failed.
    const note = 'Setup (`npm ci`) failed with exit code 1; the job went on without it.';
    const outcome = `Reviewed: 1 finding. Posted: 1 inline comment, 0 in the summary. ${note}`;
    expect(jobs[1]?.result).toMatchObject({ status: 'completed', message: outcome });
    const final = finalCheckRun();
    expect(final).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(final?.output?.summary).toContain(outcome);
  }, 200_000);

  it('fails the job under setup.on_failure: stop, with the setup reason and output on the check run, before the model is asked', async () => {
    const { jobs } = await review(`review:\n  verify: ${VERIFY}\nsetup:\n  on_failure: stop\n`, {
      reviewed: false,
      networkAllow: NOT_ALLOWED,
    });
    const message = 'Setup (`npm ci`) failed with exit code 1; setup.on_failure is stop.';
    expect(jobs[1]?.result).toMatchObject({ status: 'failed', message });
    expect(setupLogs(app as AppHarness)).toEqual([expect.objectContaining({ status: 'failed' })]);
    const final = finalCheckRun();
    expect(final).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(final?.output?.summary).toContain(message);
    const shown = JSON.stringify(final?.output);
    expect(shown).toContain('The end of the setup output');
    expect(shown).toContain(`Patchling's egress proxy refused 127.0.0.1:${registry.port}`);
    expect(model?.requests).toEqual([]);
  }, 200_000);
});
