import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import type { StoredJob } from '../../src/queue/types.js';
import { finishingEarlierProgress, RUNS_AGAIN } from '../../src/triggers/finalize-progress.js';
import { githubApi, redactor, testClient, useNock } from '../github/helpers.js';
import { reviewJob } from '../queue/helpers.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';

const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const RUN = '/repos/octo/widgets/check-runs/55';

/** A review claimed again: `progress` is what an earlier attempt recorded. */
function claimed(progress?: Record<string, unknown>): StoredJob<Job> {
  return {
    id: 'job-1',
    deliveryId: 'delivery-1:review',
    kind: 'review',
    payload: reviewJob(7, HEAD),
    status: 'running',
    attempts: 2,
    maxAttempts: 3,
    createdAt: Date.now(),
    ...(progress === undefined ? {} : { progress }),
  };
}

/** The check run as GitHub returns it: this job's, in the given state. */
function checkRun(status: 'in_progress' | 'completed') {
  return {
    id: 55,
    head_sha: HEAD,
    external_id: 'job-1',
    name: 'Patchling review',
    status,
    conclusion: status === 'completed' ? 'success' : null,
    started_at: new Date(Date.now() - 60_000).toISOString(),
    output: { title: 'Reviewing', summary: 'Reviewing', text: null, annotations_count: 0 },
  };
}

/** The handler, recording what GitHub had been sent when it started. */
function recordingHandler(sent: { method: string }[]) {
  const startedAfter: string[][] = [];
  const run = (job: StoredJob<Job>) => {
    startedAfter.push(sent.map((s) => s.method));
    return Promise.resolve({ status: 'completed', message: `ran ${job.id}` });
  };
  return { run, startedAfter };
}

describe('a job claimed again finishes the progress its earlier attempt left first', () => {
  useNock();

  it('completes the earlier check run still in progress, then runs the job', async () => {
    const { scope, sent } = githubApi();
    scope.get(RUN).reply(200, checkRun('in_progress'));
    scope.patch(RUN).reply(200, { id: 55 });
    const handler = recordingHandler(sent);
    const logs: Record<string, unknown>[] = [];
    const run = finishingEarlierProgress(handler.run, {
      githubFor: () => testClient(),
      redactor,
      log: (entry) => logs.push(entry),
    });

    const result = await run(claimed({ check_run: 55 }), new AbortController().signal);

    expect(result).toEqual({ status: 'completed', message: 'ran job-1' });
    // The old check run was completed before the job started (and made a new one).
    expect(handler.startedAfter).toEqual([['GET', 'PATCH']]);
    const patch = sent[1]?.body as { status: string; conclusion: string; output: object };
    expectValidGitHubRequest('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', patch);
    expect(patch).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(JSON.stringify(patch.output)).toContain(RUNS_AGAIN);
    expect(logs).toEqual([]);
  });

  it('leaves a finished check run as it is, and touches nothing for a job without progress', async () => {
    const { scope, sent } = githubApi();
    scope.get(RUN).reply(200, checkRun('completed'));
    const handler = recordingHandler(sent);
    const run = finishingEarlierProgress(handler.run, {
      githubFor: () => testClient(),
      redactor,
      log: () => undefined,
    });

    await run(claimed({ check_run: 55 }), new AbortController().signal);
    await run(claimed(), new AbortController().signal);

    expect(handler.startedAfter).toEqual([['GET'], ['GET']]);
  });

  it('runs the job even when GitHub cannot be reached, and logs why', async () => {
    const { scope, sent } = githubApi();
    scope.get(RUN).reply(404, { message: 'Not Found' });
    scope.post('/repos/octo/widgets/check-runs').reply(403, { message: 'Resource not accessible' });
    const handler = recordingHandler(sent);
    const logs: Record<string, unknown>[] = [];
    const run = finishingEarlierProgress(handler.run, {
      githubFor: () => testClient(),
      redactor,
      log: (entry) => logs.push(entry),
    });

    const result = await run(claimed({ check_run: 55 }), new AbortController().signal);

    expect(result).toEqual({ status: 'completed', message: 'ran job-1' });
    expect(handler.startedAfter).toHaveLength(1);
    expect(logs).toMatchObject([
      { msg: 'could not finalize the progress of an earlier attempt', job: 'job-1' },
    ]);
  });

  it("finishes a scan's earlier check run too", async () => {
    const { scope, sent } = githubApi();
    scope.get(RUN).reply(200, { ...checkRun('in_progress'), name: 'Patchling scan' });
    scope.patch(RUN).reply(200, { id: 55 });
    const handler = recordingHandler(sent);
    const run = finishingEarlierProgress(handler.run, {
      githubFor: () => testClient(),
      redactor,
      log: () => undefined,
    });
    const scan: StoredJob<Job> = {
      ...claimed({ check_run: 55 }),
      kind: 'scan',
      payload: {
        kind: 'scan',
        repo: reviewJob(7, HEAD).repo,
        ref: 'refs/heads/main',
        trigger: 'configured_schedule',
      },
    };

    await run(scan, new AbortController().signal);

    expect(handler.startedAfter).toEqual([['GET', 'PATCH']]);
    const patch = sent[1]?.body as { status: string; conclusion: string; output: object };
    expectValidGitHubRequest('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', patch);
    expect(patch).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(JSON.stringify(patch.output)).toContain(RUNS_AGAIN);
  });
});
