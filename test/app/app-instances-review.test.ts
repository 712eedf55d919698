/**
 * Real pull request reviews across two App processes on one real redis-server: the pull
 * request a real git repository behind authenticated smart HTTP, the model the scripted
 * model server on loopback, GitHub a stateful fake API over HTTP (nock cannot reach into
 * another process). An instance killed with SIGKILL mid-review: the other takes the review
 * over, posts it once, and no check run is left in progress; killed after posting its
 * review, the other posts no second one. A push while one instance
 * reviews: the other aborts it across processes and posts the newer review once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import type { ReviewOutput } from '../../src/jobs/review/finding.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import { waitUntil } from '../queue/helpers.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { webhookPayload } from '../support/webhook-payloads.js';
import {
  deliverTo,
  killAll,
  startAppProcess,
  succeededJobs,
  type AppProcess,
} from './fixtures/app-process.js';
import {
  startFakeGitHubReviewApi,
  type FakeGitHubReviewApi,
} from './fixtures/fake-github-review-api.js';
import { createPullRequestRepo, type PullRequestRepo } from './pull-request-repo.js';

const SECRET = 'multi-instance-secret-0123456789';
const OWNER = 'octo-org';
const REPO = 'widgets';
const NUMBER = 7;
const TOKEN = 'ghs_instancesReviewToken0123456789abcdef';
/** The held instance's model client waits this long for an answer: longer than any test. */
const HOLD_MS = 600_000;

const review = (summary: string): ReviewOutput => ({
  verdict: 'issues_found',
  summary,
  findings: [
    {
      title: 'sum concatenates string inputs',
      explanation: 'Form values arrive as strings, so `sum("1", "2")` is `"12"`.',
      priority: 'P1',
      confidence: 0.8,
      path: 'sum.js',
      start_line: 1,
      end_line: 1,
      suggestion: null,
    },
  ],
});

let redis: RedisServer;
let pr: PullRequestRepo;
let github: FakeGitHubReviewApi;
/** Holds every request until the test ends: the instance that asks it never gets an answer. */
let heldModel: ScriptedModelServer;
let model: ScriptedModelServer;
let holdModel: ((request: RecordedRequest) => boolean) | undefined;
let stateRoot: string;
const instances: AppProcess[] = [];

beforeEach(async () => {
  if (!HAS_REDIS) return;
  redis = await startRedis({ appendonly: true });
  pr = await createPullRequestRepo({ owner: OWNER, repo: REPO, number: NUMBER, token: TOKEN });
  github = await startFakeGitHubReviewApi({
    owner: OWNER,
    repo: REPO,
    pullRequest: {
      number: NUMBER,
      headSha: pr.headSha,
      headRef: pr.headRef,
      baseSha: pr.baseSha,
    },
    installationToken: TOKEN,
  });
  heldModel = await startScriptedModelServer([], {
    beforeStep: () => new Promise<void>(() => undefined),
  });
  holdModel = undefined;
  // A request `holdModel` picks is never answered (and takes no step).
  model = await startScriptedModelServer([], {
    beforeStep: (request) =>
      holdModel?.(request) ? new Promise<void>(() => undefined) : Promise.resolve(),
  });
  stateRoot = await mkdtemp(path.join(os.tmpdir(), 'patchling-instances-review-'));
}, 30_000);

afterEach(async () => {
  if (!HAS_REDIS) return;
  await killAll(instances);
  await heldModel.close();
  await model.close();
  await github.close();
  await pr.close();
  await redis.stop();
  await rm(stateRoot, { recursive: true, force: true });
});

/**
 * An instance whose model is `server`. One that may be kept waiting on its model (the held
 * server, or `holdModel`) waits for the answer as long as it takes.
 */
function startInstance(
  name: string,
  server: ScriptedModelServer,
  options: { readonly pollIntervalMs?: number; readonly concurrency?: number } = {},
): Promise<AppProcess> {
  return startAppProcess(
    name,
    {
      queueUrl: redis.url,
      githubApiUrl: github.url,
      webhookSecret: SECRET,
      stateDir: path.join(stateRoot, name),
      modelBaseUrl: server.baseURL,
      cloneBaseUrl: pr.url,
      ...(server === heldModel || holdModel !== undefined ? { modelTimeoutMs: HOLD_MS } : {}),
      ...options,
    },
    instances,
  );
}

function pullRequestEvent(action: 'opened' | 'synchronize', headSha: string) {
  const repository = { name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } };
  return webhookPayload('pull_request', action, {
    number: NUMBER,
    repository,
    pull_request: {
      number: NUMBER,
      head: { sha: headSha, ref: pr.headRef, repo: repository },
      base: { sha: pr.baseSha, ref: 'main', repo: repository },
    },
  });
}

/** Every job in Redis, as [kind, status, attempts]. */
async function storedJobs(): Promise<[string, string, number][]> {
  const store = await BullmqJobStore.open<Job>({ url: redis.url });
  try {
    const jobs = await store.list({ limit: 50 });
    return jobs.map((job) => [job.kind, job.status, job.attempts]);
  } finally {
    await store.close();
  }
}

const inProgress = () => github.checkRuns.filter((run) => run.status !== 'completed');

/** `instance` is reviewing: its check run in progress, its (held) model asked. */
async function reviewingOn(instance: AppProcess, server = heldModel): Promise<void> {
  await waitUntil(
    () => server.requests.length === 1 || instance.child.exitCode !== null,
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nlogs: ${JSON.stringify(instance.logs)}`);
  });
  expect(instance.child.exitCode).toBeNull();
  expect(github.checkRuns).toHaveLength(1);
  expect(github.checkRuns[0]).toMatchObject({ head_sha: pr.headSha, status: 'in_progress' });
}

describe.skipIf(!HAS_REDIS)('real reviews across two App processes on one Redis', () => {
  it('an instance killed mid-review: the other takes it over, posts it once, and every check run ends completed', async () => {
    model.push(step.text(JSON.stringify(review('Taken over and reviewed.'))));
    const victim = await startInstance('victim', heldModel);
    expect(
      await deliverTo(victim, SECRET, 'pull_request', pullRequestEvent('opened', pr.headSha)),
    ).toBe(200);
    await reviewingOn(victim);
    const stale = github.checkRuns[0]!;

    // The survivor looks for work often: it claims the job back as soon as it is requeued,
    // before its recovery has looked at the old check run (as with the default timings).
    const survivor = await startInstance('survivor', model, { pollIntervalMs: 50 });
    victim.child.kill('SIGKILL');
    await victim.exited;

    // The survivor takes the review over once the victim's lock lapses, and finishes it.
    await waitUntil(
      () => github.reviews.submitted().length >= 1 && inProgress().length === 0,
      60_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\ncheck runs: ${JSON.stringify(github.checkRuns)}\nsurvivor: ${JSON.stringify(survivor.logs)}`,
      );
    });
    // Time for a second review or a late write to show up, if the product made one.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    expect(github.invalid).toEqual([]);
    expect(github.unmatched).toEqual([]);
    // One review, by the survivor, of the head.
    expect(github.reviews.submitted()).toHaveLength(1);
    expect(github.reviews.requests).toHaveLength(1);
    expect(github.reviews.requests[0]).toMatchObject({
      commit_id: pr.headSha,
      event: 'COMMENT',
    });
    expect(github.reviews.requests[0]?.body).toContain('Taken over and reviewed.');
    expect(model.requests).toHaveLength(1);
    expect(heldModel.requests).toHaveLength(1);
    expect(succeededJobs(survivor, 'review')).toBe(1);
    expect(survivor.logs.filter((l) => String(l.msg).startsWith('could not finalize'))).toEqual([]);

    // Every check run on the head is completed: the victim's says what happened to it.
    const runs = github.checkRuns.filter((run) => run.head_sha === pr.headSha);
    expect(runs.map((run) => run.status)).toEqual(runs.map(() => 'completed'));
    const finishedStale = github.checkRuns.find((run) => run.id === stale.id);
    expect(finishedStale?.conclusion).toBe('failure');
    expect(finishedStale?.output.summary).toContain('Patchling restarted while this job ran');
    // …finished before the survivor's run began (it is finished on the claim, whichever of
    // the claim and the periodic recovery comes first).
    const writes = github.requests.filter(
      (r) => r.method !== 'GET' && r.path.includes('/check-runs'),
    );
    const staleCompleted = writes.findIndex(
      (r) =>
        r.path.endsWith(`/check-runs/${stale.id}`) &&
        (r.body as { status?: string }).status === 'completed',
    );
    const secondCreated = writes.findIndex((r, i) => i > 0 && r.method === 'POST');
    expect(staleCompleted).toBeGreaterThan(0);
    expect(staleCompleted).toBeLessThan(secondCreated);
    // The review's own check run succeeded and links to the review.
    const reviewed = runs.filter((run) => run.conclusion === 'success');
    expect(reviewed).toHaveLength(1);
    expect(reviewed[0]?.details_url).toContain(
      `#pullrequestreview-${github.reviews.submitted()[0]?.id}`,
    );

    expect(await storedJobs()).toEqual([
      ['delivery', 'succeeded', 1],
      ['review', 'succeeded', 2],
    ]);
  }, 180_000);

  it('an instance killed after posting its review, before finishing: the other posts no second review', async () => {
    model.push(step.text(JSON.stringify(review('Reviewed before the crash.'))));
    const victim = await startInstance('victim', model);
    // GitHub keeps the victim waiting on the write that completes its check run, after the
    // review is posted: it dies between posting the review and finishing the job.
    github.hold = (request) =>
      request.method === 'PATCH' &&
      request.path.includes('/check-runs/') &&
      (request.body as { status?: string }).status === 'completed';
    expect(
      await deliverTo(victim, SECRET, 'pull_request', pullRequestEvent('opened', pr.headSha)),
    ).toBe(200);
    await waitUntil(() => github.held.length === 1, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nlogs: ${JSON.stringify(victim.logs)}`);
    });
    expect(github.reviews.submitted()).toHaveLength(1);
    const stale = github.checkRuns[0]!;

    const survivor = await startInstance('survivor', model, { pollIntervalMs: 50 });
    victim.child.kill('SIGKILL');
    await victim.exited;
    github.hold = undefined;

    await waitUntil(() => github.checkRuns.length >= 2 && inProgress().length === 0, 60_000).catch(
      (error: unknown) => {
        throw new Error(
          `${String(error)}\ncheck runs: ${JSON.stringify(github.checkRuns)}\nsurvivor: ${JSON.stringify(survivor.logs)}`,
        );
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));

    expect(github.invalid).toEqual([]);
    expect(github.unmatched).toEqual([]);
    // The review on GitHub is the victim's, posted once; the model was asked once.
    expect(github.reviews.requests).toHaveLength(1);
    expect(github.reviews.requests[0]?.body).toContain('Reviewed before the crash.');
    expect(model.requests).toHaveLength(1);
    // The survivor ran the job to completion, finding the head reviewed already.
    expect(succeededJobs(survivor, 'review')).toBe(1);
    const finishedStale = github.checkRuns.find((run) => run.id === stale.id);
    expect(finishedStale).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(finishedStale?.output.summary).toContain('Patchling restarted while this job ran');
    const again = github.checkRuns.filter((run) => run.id !== stale.id);
    expect(again.map((run) => [run.head_sha, run.status, run.conclusion])).toEqual([
      [pr.headSha, 'completed', 'neutral'],
    ]);
    expect(again[0]?.output.summary).toContain('was reviewed already');
    expect(await storedJobs()).toEqual([
      ['delivery', 'succeeded', 1],
      ['review', 'succeeded', 2],
    ]);
  }, 180_000);

  it('a push while one instance reviews: the other aborts that review and posts the newer one once', async () => {
    const NEWER_CODE = 'export const sum = (a, b) => Number(a) + Number(b);';
    // The model answers only a review of the newer head, whichever instance asks; the older
    // head's review waits on it until it is aborted.
    holdModel = (request) => !request.rawBody.includes(NEWER_CODE);
    model.push(step.text(JSON.stringify(review('The newer head, reviewed.'))));
    // One job at a time: while it reviews, the push's delivery can only go to the other.
    const older = await startInstance('older', model, { concurrency: 1 });
    expect(
      await deliverTo(older, SECRET, 'pull_request', pullRequestEvent('opened', pr.headSha)),
    ).toBe(200);
    await reviewingOn(older, model);
    const firstHead = pr.headSha;
    const superseded = github.checkRuns[0]!;

    const newer = await startInstance('newer', model);
    const newHead = await pr.push('sum.js', `${NEWER_CODE}\n`, 'Sum numbers');
    github.pullRequest.headSha = newHead;
    expect(
      await deliverTo(newer, SECRET, 'pull_request', pullRequestEvent('synchronize', newHead)),
    ).toBe(200);

    await waitUntil(
      () =>
        github.reviews.submitted().length >= 1 &&
        github.checkRuns.length >= 2 &&
        inProgress().length === 0,
      60_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\ncheck runs: ${JSON.stringify(github.checkRuns)}\nolder: ${JSON.stringify(older.logs)}\nnewer: ${JSON.stringify(newer.logs)}`,
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));

    expect(github.invalid).toEqual([]);
    expect(github.unmatched).toEqual([]);
    // The push was routed by the other instance, which superseded the review running in the
    // older one; the older one, alive, aborted it.
    expect(succeededJobs(newer, 'delivery')).toBe(1);
    expect(succeededJobs(older, 'delivery')).toBe(1);
    expect(older.child.exitCode).toBeNull();
    expect(older.logs.some((l) => l.msg === 'job superseded' && l.kind === 'review')).toBe(true);
    // One review, of the newer head; the older head's review never posted.
    expect(github.reviews.requests).toHaveLength(1);
    expect(github.reviews.requests[0]).toMatchObject({ commit_id: newHead, event: 'COMMENT' });
    expect(github.reviews.requests[0]?.body).toContain('The newer head, reviewed.');
    // The model was asked twice: the held review of the older head, the newer head's once.
    expect(model.requests.map((request) => holdModel?.(request))).toEqual([true, false]);

    // The older review's check run, on the older head, ended saying it was superseded.
    const finishedOld = github.checkRuns.find((run) => run.id === superseded.id);
    // (A failed run on a commit that is no longer the head: it does not gate the pull request.)
    expect(finishedOld).toMatchObject({
      head_sha: firstHead,
      status: 'completed',
      conclusion: 'failure',
    });
    expect(finishedOld?.output.summary).toContain('superseded by a newer job');
    // The newer head's check run succeeded; nothing is left in progress anywhere.
    const onNewHead = github.checkRuns.filter((run) => run.head_sha === newHead);
    expect(onNewHead.map((run) => [run.status, run.conclusion])).toEqual([
      ['completed', 'success'],
    ]);
    expect(inProgress()).toEqual([]);

    const jobs = await storedJobs();
    expect(jobs.filter(([kind]) => kind === 'review').map(([, status]) => status)).toEqual([
      'superseded',
      'succeeded',
    ]);
  }, 180_000);
});
