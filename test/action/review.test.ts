import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../support/git-http-server.js';
import { findingFingerprint } from '../../src/github/post-review.js';
import type { ReviewOutput } from '../../src/jobs/review/finding.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { withBody } from '../support/nock-request.js';
import {
  startScriptedModelServer,
  step,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { webhookPayload } from '../support/webhook-payloads.js';
import { createPullRequestRepo, type PullRequestRepo } from '../app/pull-request-repo.js';
import { expectKeyMasked, github, MODEL_KEY, runAction, TOKEN, useGitHubMock } from './helpers.js';

const OWNER = 'octo-org';
const REPO = 'widgets';
const NUMBER = 7;
const CHECK_RUN_ID = 4321;
const REVIEW_ID = 91;
const R = `/repos/${OWNER}/${REPO}`;
const PULL = `${R}/pulls/${NUMBER}`;
const SUMMARY = 'Fixes sum, which subtracted. String inputs are still concatenated.';
const NEW_FINDING = {
  title: 'sum concatenates string inputs',
  explanation: 'Form values arrive as strings, so `sum("1", "2")` is `"12"`.',
  priority: 'P1',
  confidence: 0.8,
  kind: 'bug',
  path: 'sum.js',
  start_line: 1,
  end_line: 1,
  suggestion: null,
} as const;
/** Posted by the workflow token's account on an earlier run: not posted again. */
const OLD_FINDING = {
  ...NEW_FINDING,
  title: 'sum has no tests',
  explanation: 'Nothing checks the fix.',
  priority: 'P2',
  kind: 'maintainability',
} as const;
/** Line 1 of sum.js at the head: what both findings point at. */
const HEAD_LINE = 'export const sum = (a, b) => a + b;';
/** The model's final answer: the review as JSON (ReviewOutput). */
const REVIEW: ReviewOutput = {
  verdict: 'issues_found',
  summary: SUMMARY,
  findings: [NEW_FINDING, OLD_FINDING],
};
/** Fingerprinted by the code of its line and its kind (findingFingerprint). */
const marker = (finding: { path: string; title: string; kind: string }) =>
  `<!-- patchling:finding ${findingFingerprint({ ...finding, code: HEAD_LINE })} kind=${finding.kind} lines=1 -->`;

/** A review comment as GitHub lists it. */
function listedComment(id: number, login: string, body: string) {
  return {
    id,
    node_id: `PRRC_${id}`,
    pull_request_review_id: 17,
    user: { login, id: 41898282, type: 'Bot' },
    body,
    path: 'sum.js',
    line: 1,
    side: 'RIGHT',
    start_line: null,
    start_side: null,
    commit_id: 'a'.repeat(40),
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#discussion_r${id}`,
    author_association: 'NONE',
  };
}

const mock = useGitHubMock();
let repo: PullRequestRepo | undefined;
let model: ScriptedModelServer | undefined;

afterEach(async () => {
  await model?.close();
  await repo?.close();
  model = repo = undefined;
});

const repository = {
  name: REPO,
  full_name: `${OWNER}/${REPO}`,
  owner: { login: OWNER },
  default_branch: 'main',
};

function pullRequest(pr: PullRequestRepo) {
  return {
    number: NUMBER,
    title: 'Fix sum',
    body: 'sum subtracted.',
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}`,
    head: { sha: pr.headSha, ref: pr.headRef, label: `${OWNER}:${pr.headRef}`, repo: repository },
    base: { sha: pr.baseSha, ref: 'main', label: `${OWNER}:main`, repo: repository },
  };
}

describe('a pull request reviewed by the Action, end to end', () => {
  it('clones with the workflow token, reviews in the sandbox, posts the review as github-actions[bot], completes the check run, and writes the outputs', async () => {
    const pr = await createPullRequestRepo({
      owner: OWNER,
      repo: REPO,
      number: NUMBER,
      token: TOKEN,
    });
    repo = pr;
    model = await startScriptedModelServer([
      step.toolCalls([{ name: 'shell', arguments: { command: 'env' }, callId: 'call_env' }]),
      step.text(JSON.stringify(REVIEW, null, 2)),
    ]);

    const scope = github();
    // The config is read twice from the default branch: to route the event, then by the job.
    scope
      .get(`${R}/contents/${encodeURIComponent('.github/patchling.yml')}`)
      .times(2)
      .reply(404, {});
    const prExample = webhookPayload('pull_request', 'opened').pull_request;
    scope.get(`${R}/pulls/${NUMBER}`).reply(200, { ...prExample, ...pullRequest(pr) });
    // AGENTS.md and .gitattributes are read from the base branch, not the pull request's checkout.
    for (const file of ['AGENTS.override.md', 'AGENTS.md', '.gitattributes']) {
      scope.get(`${R}/contents/${file}`).query({ ref: 'main' }).reply(404, {});
    }
    scope.post(`${R}/check-runs`).reply(
      201,
      withBody((body) => {
        expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/check-runs', body);
        return { id: CHECK_RUN_ID, html_url: `https://github.com/${OWNER}/${REPO}/runs/1` };
      }),
    );
    const patched = withBody((body) => {
      expectValidGitHubRequest('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', body);
      return { id: CHECK_RUN_ID, status: (body as Record<string, unknown>).status };
    });
    scope.patch(`${R}/check-runs/${CHECK_RUN_ID}`).reply(200, patched);
    scope.patch(`${R}/check-runs/${CHECK_RUN_ID}`).optionally().reply(200, patched);
    // What was posted before: by the workflow token's account (ours), and by another bot
    // (not ours: its marker must not hide the new finding).
    const page = { per_page: '100', page: '1' };
    scope.get(`${PULL}/reviews`).query(page).reply(200, []);
    scope
      .get(`${PULL}/comments`)
      .query(page)
      .reply(200, [
        listedComment(
          555,
          'github-actions[bot]',
          `**P2 sum has no tests**\n\n${marker(OLD_FINDING)}`,
        ),
        listedComment(556, 'patchling[bot]', `**P1 Quoted**\n\n${marker(NEW_FINDING)}`),
      ]);
    scope.post(`${PULL}/reviews`).reply(
      200,
      withBody((body) => {
        expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', body);
        return { id: REVIEW_ID, state: 'COMMENTED', user: { login: 'github-actions[bot]' } };
      }),
    );
    scope
      .get(`${PULL}/reviews/${REVIEW_ID}/comments`)
      .query(page)
      .reply(200, [
        listedComment(
          777,
          'github-actions[bot]',
          `**P1 sum concatenates string inputs**\n\n${marker(NEW_FINDING)}`,
        ),
      ]);

    const run = await runAction(
      'pull_request',
      webhookPayload('pull_request', 'opened', {
        installation: undefined,
        number: NUMBER,
        repository,
        pull_request: pullRequest(pr),
      }),
      {
        inputs: { provider: 'openai', api: 'responses', 'base-url': model.baseURL, model: 'm' },
        env: { GITHUB_REPOSITORY: `${OWNER}/${REPO}`, GITHUB_SERVER_URL: pr.url },
      },
    );

    expect(run.stdout).not.toContain('::error::');
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      status: 'completed',
      job: 'review',
      summary: `Finished the review of #7: ${SUMMARY}`,
    });
    expect(run.outputs['run-id']).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);

    // The check run ended with the model's answer, and named this workflow run.
    const final = mock
      .sent()
      .filter((request) => request.method === 'PATCH')
      .at(-1)?.body;
    expect(final).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-${REVIEW_ID}`,
    });
    expect((final as { output?: { summary?: string } }).output?.summary).toContain(
      'Reviewed: 2 findings. Posted: 1 inline comment, 0 in the summary, 1 already posted.',
    );

    // One review on the head, as COMMENT: the new finding inline; the one this account
    // posted before is not repeated.
    const posted = mock.sent().filter((r) => r.method === 'POST' && r.path === `${PULL}/reviews`);
    expect(posted.map((r) => r.body)).toEqual([
      {
        commit_id: pr.headSha,
        event: 'COMMENT',
        body: [
          SUMMARY,
          '',
          'Reviewed 1 file.',
          '',
          `<!-- patchling:review sha=${pr.headSha} -->`,
        ].join('\n'),
        comments: [
          {
            path: 'sum.js',
            line: 1,
            side: 'RIGHT',
            body: [
              '**P1 sum concatenates string inputs**',
              '',
              'Form values arrive as strings, so `sum("1", "2")` is `"12"`.',
              '',
              marker(NEW_FINDING),
            ].join('\n'),
          },
        ],
      },
    ]);
    // Every GitHub call carried the workflow token.
    expect(new Set(mock.sent().map((r) => r.authorization))).toEqual(new Set([`token ${TOKEN}`]));
    const created = mock.sent().find((request) => request.path === `${R}/check-runs`)?.body;
    expect(created).toMatchObject({ head_sha: pr.headSha, external_id: 'action-4242-1-patchling' });

    // git used the workflow token; the model got the key from the input.
    expect(
      pr.server.requests.some(
        (request) => request.status === 200 && request.authorization === basicAuthHeader(TOKEN),
      ),
    ).toBe(true);
    expect(model.requests[0]?.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);
    // The model got the diff as untrusted data.
    const task = JSON.stringify(model.requests[0]?.body);
    expect(task).toMatch(
      /<untrusted-data source=\\"diff\\">\\ndiff --git a\/sum.js b\/sum.js[^<]*\+export const sum = \(a, b\) => a \+ b;\\n\\n<\/untrusted-data>/,
    );

    // The run log is under RUNNER_TEMP/patchling, and the checkout is gone.
    const runLog = path.join(run.tempDir, 'patchling', 'runs', `${run.outputs['run-id']}.jsonl`);
    const logText = await readFile(runLog, 'utf8');
    expect(await readdir(path.join(run.tempDir, 'patchling-workspaces'))).toEqual([]);

    // Neither secret reached the sandbox, the model, the run log or GitHub.
    const places: Record<string, string> = {
      'model requests': model.requests.map((request) => request.rawBody).join('\n'),
      'run log': logText,
      'GitHub bodies': JSON.stringify(mock.sent().map((request) => request.body)),
    };
    for (const [where, text] of Object.entries(places)) {
      for (const secret of [TOKEN, MODEL_KEY]) expect(text.includes(secret), where).toBe(false);
    }
    expectKeyMasked(run);
  }, 60_000);
});
