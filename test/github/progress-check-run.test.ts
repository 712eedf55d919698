import { describe, expect, it, vi } from 'vitest';
import { createProgressCheckRun } from '../../src/github/progress-check-run.js';
import { renderProgressBody } from '../../src/github/render-progress.js';
import { SecretRedactor } from '../../src/util/redact-secrets.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { modelRetry, plan, planUpdated } from './agent-events.js';
import {
  githubApi,
  manualClock,
  MODEL_KEY,
  redactor,
  repo,
  testClient,
  useNock,
  type Sent,
} from './helpers.js';

const R = '/repos/octo-org/hello-world';
const CREATE = '/repos/{owner}/{repo}/check-runs';
const UPDATE = '/repos/{owner}/{repo}/check-runs/{check_run_id}';
const headSha = '6dcb09b5b57875f334f61aebed695e2e4193db5e';

function validate(sent: Sent[]): void {
  for (const s of sent) {
    if (s.method === 'POST') expectValidGitHubRequest('POST', CREATE, s.body);
    if (s.method === 'PATCH') expectValidGitHubRequest('PATCH', UPDATE, s.body);
  }
}

type CheckRunBody = {
  status?: string;
  conclusion?: string;
  completed_at?: string;
  details_url?: string;
  output: { title: string; summary: string };
};
const body = (s: Sent | undefined) => s?.body as CheckRunBody;

describe('progress check run', () => {
  useNock();

  it('goes queued → in_progress → completed success, with title and summary', async () => {
    const clock = manualClock();
    const { scope, sent } = githubApi();
    scope.post(`${R}/check-runs`).reply(201, { id: 77 });
    scope.patch(`${R}/check-runs/77`).times(2).reply(200, { id: 77 });
    const progress = createProgressCheckRun({
      octokit: testClient(),
      repo,
      headSha,
      jobId: 'job-9',
      redactor,
      now: clock.now,
      minUpdateIntervalMs: 0,
    });

    expect(await progress.start()).toBe(77);
    progress.onAgentEvent(planUpdated(...plan));
    progress.onAgentEvent(modelRetry(3_000));
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    clock.advance(42_000);
    await progress.succeeded({
      summary: 'Two findings.',
      link: 'https://github.com/octo-org/hello-world/pull/3#pullrequestreview-80',
    });

    expect(body(sent[0])).toMatchObject({
      name: 'Patchling review',
      head_sha: headSha,
      external_id: 'job-9',
      status: 'queued',
      output: { title: 'Queued' },
    });
    expect(body(sent[0]).output.summary).toContain('🕒 **Patchling review** is queued.');
    expect(body(sent[1])).toMatchObject({
      status: 'in_progress',
      output: { title: 'Running: step 2 of 3' },
    });
    expect(body(sent[1]).output.summary).toContain('⏳ rate limited by provider, retrying in 3 s');
    expect(body(sent[2])).toEqual({
      status: 'completed',
      conclusion: 'success',
      completed_at: new Date(clock.now()).toISOString(),
      details_url: 'https://github.com/octo-org/hello-world/pull/3#pullrequestreview-80',
      output: { title: 'Done', summary: expect.stringContaining('Two findings.') as string },
    });
    validate(sent);
  });

  it('completes as neutral when there was nothing to report, and as failure with the reason', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/check-runs`).times(2).reply(201, { id: 78 });
    scope.patch(`${R}/check-runs/78`).times(2).reply(200, { id: 78 });
    const make = () =>
      createProgressCheckRun({ octokit: testClient(), repo, headSha, jobId: 'j', redactor });

    const neutral = make();
    await neutral.start();
    await neutral.succeeded({ summary: 'Nothing to say.', conclusion: 'neutral' });
    const failing = make();
    await failing.start();
    await failing.failed('The model provider refused the key. Status 401.');

    expect(body(sent[1])).toMatchObject({
      conclusion: 'neutral',
      output: { title: 'Done: nothing to report' },
    });
    expect(body(sent[1]).details_url).toBeUndefined();
    expect(body(sent[3])).toMatchObject({ conclusion: 'failure', output: { title: 'Failed' } });
    expect(body(sent[3]).output.summary).toContain(
      '❌ **Patchling review** failed: The model provider refused the key.\n',
    );
    validate(sent);
  });

  it('has its output redacted by the client even when the reporter knows no secrets', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/check-runs`).reply(201, { id: 79 });
    scope.patch(`${R}/check-runs/79`).reply(200, { id: 79 });
    const progress = createProgressCheckRun({
      octokit: testClient(),
      repo,
      headSha,
      jobId: 'j',
      redactor: new SecretRedactor([]),
    });

    await progress.start();
    await progress.succeeded({ summary: `The diff adds ${MODEL_KEY} to config.` });

    expect(body(sent[1]).output.summary).toContain('The diff adds [REDACTED] to config.');
    expect(JSON.stringify(sent)).not.toContain(MODEL_KEY);
  });

  it('finalizeAfterCrash completes an in-progress check run as failure, keeping the plan', async () => {
    const startedAt = Date.UTC(2025, 0, 2, 3, 0, 0);
    const summary = renderProgressBody(
      { jobId: 'job-9', jobKind: 'review' },
      { status: 'running', startedAt, plan },
      startedAt,
      redactor,
    );
    const { scope, sent } = githubApi();
    scope.get(`${R}/check-runs/77`).reply(200, {
      id: 77,
      status: 'in_progress',
      conclusion: null,
      external_id: 'job-9',
      started_at: new Date(startedAt).toISOString(),
      output: { title: 'Running', summary },
    });
    scope.patch(`${R}/check-runs/77`).reply(200, { id: 77 });
    const progress = createProgressCheckRun({
      octokit: testClient(),
      repo,
      headSha,
      jobId: 'job-9',
      redactor,
      now: () => startedAt + 10_000,
    });

    await progress.finalizeAfterCrash(77, 'The worker was killed.');

    expect(body(sent[1])).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(body(sent[1]).output.summary).toContain('failed: The worker was killed.');
    expect(body(sent[1]).output.summary).toContain('- [x] Read the issue');
    validate(sent);
  });

  it('finalizeAfterCrash leaves a completed check run alone', async () => {
    const { scope, sent } = githubApi();
    scope.get(`${R}/check-runs/77`).reply(200, {
      id: 77,
      status: 'completed',
      conclusion: 'success',
      external_id: 'job-9',
      started_at: '2025-01-02T03:00:00Z',
      output: { title: 'Done', summary: '' },
    });
    const progress = createProgressCheckRun({
      octokit: testClient(),
      repo,
      headSha,
      jobId: 'job-9',
      redactor,
    });

    await progress.finalizeAfterCrash(77, 'The worker was killed.');

    expect(sent.map((s) => s.method)).toEqual(['GET']);
  });
});
