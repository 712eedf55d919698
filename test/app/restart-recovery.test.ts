import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job, ReviewJob } from '../../src/jobs/job.js';
import { jobEnqueueInput } from '../../src/jobs/job-enqueue-input.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import { defaultQueuePath, SqliteJobStore } from '../../src/queue/sqlite-job-store.js';
import type { JobStore } from '../../src/queue/types.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { waitUntil } from '../queue/helpers.js';
import {
  makeStateDir,
  startTestApp,
  type AppHarness,
  type GitHubMock,
  expectGitHubMockSettled,
  startGitHubMock,
} from '../support/app-harness.js';
import { TEST_INSTALLATION } from '../support/webhook-payloads.js';

const OWNER = 'octo-org';
const REPO = 'widgets';
const CHECK_RUN_ID = 55;
const HEAD_SHA = 'b484f56b91295ea13f6d1f81f1aa629e6d31c99c';
const CHECK_RUN = '/repos/{owner}/{repo}/check-runs/{check_run_id}';

const review: ReviewJob = {
  kind: 'review',
  repo: { owner: OWNER, repo: REPO, installationId: TEST_INSTALLATION.id },
  pullNumber: 7,
  headSha: HEAD_SHA,
  headRef: 'feature',
  baseRef: 'main',
  headRepo: `${OWNER}/${REPO}`,
  isFork: false,
  requester: { login: 'octocat', type: 'User' },
  trigger: 'pull_request',
};

let github: GitHubMock;
let stateDir: string;
let app: AppHarness | undefined;
let redis: RedisServer | undefined;

beforeAll(async () => {
  if (HAS_REDIS) redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

/** Test-sized: a dead instance's claim is taken over in about a second. */
const TIMINGS = { lockDurationMs: 600, stalledIntervalMs: 200, heartbeatMs: 150 };

interface Backend {
  readonly name: string;
  /** A store as a process that is about to die would have it; and the App's config for it. */
  open(): Promise<{ store: JobStore<Job>; queueUrl?: string }>;
}

const sqlite: Backend = {
  name: 'SQLite',
  async open() {
    return { store: SqliteJobStore.open<Job>({ path: defaultQueuePath(stateDir) }) };
  },
};
const bullmq: Backend = {
  name: 'BullMQ on Redis',
  async open() {
    // A fresh database per test: the App uses the default queue name.
    const db = (databases += 1);
    const queueUrl = `${redis!.url}/${db}`;
    return { store: await BullmqJobStore.open<Job>({ url: queueUrl, ...TIMINGS }), queueUrl };
  },
};
let databases = 0;

beforeEach(async () => {
  github = startGitHubMock();
  stateDir = await makeStateDir();
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await rm(stateDir, { recursive: true, force: true });
  expectGitHubMockSettled(github);
});

/**
 * What a process that died mid-review leaves behind: the job running, its check run's id.
 * Returns the job's id and the queue URL (Redis) the App must use.
 */
async function leaveRunningReview(
  backend: Backend,
  maxAttempts: number,
): Promise<{ jobId: string; queueUrl?: string }> {
  const { store, queueUrl } = await backend.open();
  try {
    const { job } = await store.enqueue(
      jobEnqueueInput({
        deliveryId: 'delivery-1:review',
        job: review,
        maxAttempts,
      }),
    );
    const claimed = await store.claimNext({ deadlineMs: 60_000 });
    expect(claimed?.id).toBe(job.id);
    await store.setProgress(job.id, { check_run: CHECK_RUN_ID });
    return { jobId: job.id, ...(queueUrl === undefined ? {} : { queueUrl }) };
  } finally {
    await store.close();
  }
}

/** The check run as the dead process left it: in progress, its plan in the hidden state. */
function checkRunInProgress(jobId: string) {
  const startedAt = Date.now() - 60_000;
  const state = {
    status: 'running',
    startedAt,
    plan: [
      { step: 'Read the diff', status: 'completed' },
      { step: 'Check the callers of sum', status: 'in_progress' },
    ],
  };
  return {
    id: CHECK_RUN_ID,
    head_sha: HEAD_SHA,
    external_id: jobId,
    name: 'Patchling review',
    status: 'in_progress',
    conclusion: null,
    started_at: new Date(startedAt).toISOString(),
    completed_at: null,
    output: {
      title: 'Reviewing',
      summary: `<!-- patchling:progress job=${jobId} -->\n\n🔄 **Patchling review** is running.\n\n- [x] Read the diff\n- [ ] Check the callers of sum\n<!-- patchling:state ${JSON.stringify(state)} -->`,
      text: null,
      annotations_count: 0,
    },
    html_url: `https://github.com/${OWNER}/${REPO}/runs/${CHECK_RUN_ID}`,
  };
}

function expectCrashFinalization(jobId: string): void {
  github.installationAuth(TEST_INSTALLATION.id);
  github.scope
    .get(`/repos/${OWNER}/${REPO}/check-runs/${CHECK_RUN_ID}`)
    .reply(200, checkRunInProgress(jobId));
  github.write(
    'PATCH',
    CHECK_RUN,
    { owner: OWNER, repo: REPO, check_run_id: CHECK_RUN_ID },
    (body) => [200, { id: CHECK_RUN_ID, status: body.status, conclusion: body.conclusion }],
  );
}

async function finalPatch(): Promise<{
  status?: string;
  conclusion?: string;
  output?: { summary?: string };
}> {
  // At start on SQLite; on Redis once BullMQ's stalled check finds the dead claim.
  await waitUntil(() => github.calls.some((call) => call.method === 'PATCH'), 15_000);
  const patches = github.calls.filter((call) => call.method === 'PATCH');
  expect(patches).toHaveLength(1);
  return patches[0]?.body as {
    status?: string;
    conclusion?: string;
    output?: { summary?: string };
  };
}

const backends = HAS_REDIS ? [sqlite, bullmq] : [sqlite];

describe.each(backends)('the App ($name) after a restart in the middle of a review', (backend) => {
  it('fails a job that cannot be retried and completes its check run as a failure', async () => {
    const { jobId, queueUrl } = await leaveRunningReview(backend, 1);
    expectCrashFinalization(jobId);

    app = await startTestApp({
      stateDir,
      ...(queueUrl === undefined ? {} : { config: { queueUrl }, queueTimings: TIMINGS }),
    });

    const body = await finalPatch();
    expect(body).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(body.output?.summary).toContain('interrupted');
    // The plan the dead process had shown is kept.
    expect(body.output?.summary).toContain('Check the callers of sum');
    await waitUntil(async () => (await app!.server.store.get(jobId))?.status === 'failed', 15_000);
    const job = await app.server.store.get(jobId);
    expect(job?.status).toBe('failed');
    expect(job?.error).toMatch(/interrupted 1 times/);
    expect(github.writes().map((call) => `${call.method} ${call.path}`)).toEqual([
      `PATCH /repos/${OWNER}/${REPO}/check-runs/${CHECK_RUN_ID}`,
    ]);
  });

  it('puts a job that may run again back in the queue, and says so on its old check run', async () => {
    const { jobId, queueUrl } = await leaveRunningReview(backend, 3);
    expectCrashFinalization(jobId);

    app = await startTestApp({
      stateDir,
      startWorkers: false,
      ...(queueUrl === undefined ? {} : { config: { queueUrl }, queueTimings: TIMINGS }),
    });

    const body = await finalPatch();
    expect(body).toMatchObject({ status: 'completed' });
    expect(body.output?.summary).toContain('Patchling restarted while this job ran');
    const job = await app.server.store.get(jobId);
    expect(job).toMatchObject({ status: 'queued', attempts: 1 });
  });
});
