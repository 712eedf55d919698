import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../support/git-http-server.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
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
const R = `/repos/${OWNER}/${REPO}`;

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
    head: { sha: pr.headSha, ref: pr.headRef, label: `${OWNER}:${pr.headRef}`, repo: repository },
    base: { sha: pr.baseSha, ref: 'main', label: `${OWNER}:main`, repo: repository },
  };
}

describe('a pull request reviewed by the Action, end to end', () => {
  it('clones with the workflow token, reviews in the sandbox, completes the check run, and writes the outputs', async () => {
    const pr = await createPullRequestRepo({
      owner: OWNER,
      repo: REPO,
      number: NUMBER,
      token: TOKEN,
    });
    repo = pr;
    model = await startScriptedModelServer([
      step.toolCalls([{ name: 'shell', arguments: { command: 'env' }, callId: 'call_env' }]),
      step.text('No bugs found.\n\nThe change from `-` to `+` matches the name.'),
    ]);

    const scope = github();
    scope.get(`${R}/contents/${encodeURIComponent('.github/patchling.yml')}`).reply(404, {});
    const prExample = webhookPayload('pull_request', 'opened').pull_request;
    scope.get(`${R}/pulls/${NUMBER}`).reply(200, { ...prExample, ...pullRequest(pr) });
    // AGENTS.md is read from the base branch, not the checkout of the pull request.
    for (const file of ['AGENTS.override.md', 'AGENTS.md']) {
      scope.get(`${R}/contents/${file}`).query({ ref: 'main' }).reply(404, {});
    }
    scope.post(`${R}/check-runs`).reply(201, (_uri, body) => {
      expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/check-runs', body);
      return { id: CHECK_RUN_ID, html_url: `https://github.com/${OWNER}/${REPO}/runs/1` };
    });
    const patched = (_uri: string, body: Record<string, unknown>) => {
      expectValidGitHubRequest('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', body);
      return { id: CHECK_RUN_ID, status: body.status };
    };
    scope.patch(`${R}/check-runs/${CHECK_RUN_ID}`).reply(200, patched);
    scope.patch(`${R}/check-runs/${CHECK_RUN_ID}`).optionally().reply(200, patched);

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
      summary: 'Finished the review of #7: No bugs found.',
    });
    expect(run.outputs['run-id']).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);

    // The check run ended with the model's answer, and named this workflow run.
    const final = mock
      .sent()
      .filter((request) => request.method === 'PATCH')
      .at(-1)?.body;
    expect(final).toMatchObject({ status: 'completed', conclusion: 'success' });
    const created = mock.sent().find((request) => request.method === 'POST')?.body;
    expect(created).toMatchObject({ head_sha: pr.headSha, external_id: 'action-4242-1-patchling' });

    // git used the workflow token; the model got the key from the input.
    expect(
      pr.server.requests.some(
        (request) => request.status === 200 && request.authorization === basicAuthHeader(TOKEN),
      ),
    ).toBe(true);
    expect(model.requests[0]?.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);

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
