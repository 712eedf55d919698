import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { JobDeadlineExceeded, JobInterrupted, JobSuperseded } from '../../src/queue/errors.js';
import type { JobEvent } from '../../src/queue/job-events.js';
import { submitJob } from '../../src/queue/submit-job.js';
import type { JobStore, StoredJob } from '../../src/queue/types.js';
import { JobWorkerPool, type JobWorkerPoolOptions } from '../../src/queue/worker-pool.js';
import { deferred, helpJob, reviewJob, useTempStores, waitUntil, jobInput } from './helpers.js';

const stores = useTempStores();

/** A pool with test-sized timers; stopped by the caller. */
function pool(
  store: JobStore<Job>,
  options: Partial<JobWorkerPoolOptions<Job>> & Pick<JobWorkerPoolOptions<Job>, 'run'>,
) {
  const events: JobEvent[] = [];
  const p = new JobWorkerPool({
    store,
    concurrency: 1,
    jobDeadlineMs: 10_000,
    pollIntervalMs: 50,
    heartbeatMs: 1000,
    abortGraceMs: 500,
    onJobEvent: (e) => events.push(e),
    ...options,
  });
  return { pool: p, events, types: () => events.map((e) => e.type) };
}

async function statusOf(store: JobStore<Job>, id: string) {
  return (await store.get(id))?.status;
}

describe('JobWorkerPool', () => {
  it('runs a redelivered webhook once', async () => {
    const store = stores.open(await stores.dbPath());
    const ran: string[] = [];
    const { pool: p } = pool(store, { run: async (job) => void ran.push(job.deliveryId) });
    p.start();
    const first = await submitJob(store, p, jobInput({ deliveryId: 'gh-1', job: helpJob(1) }));
    const second = await submitJob(store, p, jobInput({ deliveryId: 'gh-1', job: helpJob(1) }));
    expect(second.duplicate).toBe(true);
    await waitUntil(async () => (await statusOf(store, first.job.id)) === 'succeeded');
    // Give a second run every chance to happen.
    await new Promise((r) => setTimeout(r, 150));
    await p.stop();
    expect(ran).toEqual(['gh-1']);
  });

  it('never runs more than `concurrency` jobs at once, and runs them all', async () => {
    const store = stores.open(await stores.dbPath());
    let inFlight = 0;
    let peak = 0;
    const { pool: p } = pool(store, {
      concurrency: 3,
      run: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 15));
        inFlight--;
      },
    });
    p.start();
    for (let i = 0; i < 12; i++)
      await submitJob(store, p, jobInput({ deliveryId: `d${i}`, job: helpJob(i) }));
    await waitUntil(async () => (await store.list({ status: 'succeeded' })).length === 12);
    await p.stop();
    expect(peak).toBe(3);
  });

  it('aborts a hung handler at its deadline and fails the job with the reason', async () => {
    const store = stores.open(await stores.dbPath());
    let reason: unknown;
    const { pool: p, events } = pool(store, {
      jobDeadlineMs: 100,
      run: (_job, signal) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(new Error('the handler saw the abort'));
          });
        }),
    });
    p.start();
    const started = Date.now();
    const { job } = await submitJob(store, p, jobInput({ deliveryId: 'd', job: helpJob(1) }));
    await waitUntil(async () => (await statusOf(store, job.id)) === 'failed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    await p.stop();
    expect(reason).toBeInstanceOf(JobDeadlineExceeded);
    expect((await store.get(job.id))?.error).toBe(
      'deadline exceeded: the job ran longer than 100 ms',
    );
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ cause: 'deadline' });
  });

  it('frees the slot of a handler that ignores its signal, after the grace period', async () => {
    const store = stores.open(await stores.dbPath());
    const ran: number[] = [];
    const { pool: p, types } = pool(store, {
      jobDeadlineMs: 50,
      abortGraceMs: 100,
      run: (job) => {
        ran.push(job.payload.kind === 'help' ? job.payload.issueNumber : -1);
        return job.deliveryId === 'hangs' ? new Promise(() => {}) : Promise.resolve();
      },
    });
    p.start();
    const hung = await submitJob(store, p, jobInput({ deliveryId: 'hangs', job: helpJob(1) }));
    const next = await submitJob(store, p, jobInput({ deliveryId: 'next', job: helpJob(2) }));
    await waitUntil(async () => (await statusOf(store, next.job.id)) === 'succeeded');
    await p.stop();
    expect(await statusOf(store, hung.job.id)).toBe('failed');
    expect(types()).toEqual(['claimed', 'failed', 'abandoned', 'claimed', 'succeeded']);
    expect(ran).toEqual([1, 2]);
  });

  it('fails a job whose handler throws, with its message, and stores a result on success', async () => {
    const store = stores.open(await stores.dbPath());
    const { pool: p } = pool(store, {
      run: async (job) => {
        if (job.deliveryId === 'bad') throw new Error('clone failed: repository not found');
        return { comments: 2 };
      },
    });
    p.start();
    const bad = await submitJob(store, p, jobInput({ deliveryId: 'bad', job: helpJob(1) }));
    const good = await submitJob(store, p, jobInput({ deliveryId: 'good', job: helpJob(2) }));
    await waitUntil(async () => (await statusOf(store, good.job.id)) === 'succeeded');
    await p.stop();
    expect(await store.get(bad.job.id)).toMatchObject({
      status: 'failed',
      error: 'clone failed: repository not found',
    });
    expect((await store.get(good.job.id))?.result).toEqual({ comments: 2 });
  });

  it('a newer push aborts the running review of the older head with JobSuperseded', async () => {
    const store = stores.open(await stores.dbPath());
    const started = deferred();
    const reasons = new Map<string, unknown>();
    const { pool: p, types } = pool(store, {
      run: (job, signal) => {
        if (job.payload.kind === 'review' && job.payload.headSha === 'old') {
          started.resolve();
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              reasons.set(job.id, signal.reason);
              reject(signal.reason);
            }),
          );
        }
        return Promise.resolve();
      },
    });
    p.start();
    const old = await submitJob(store, p, jobInput({ deliveryId: 'p1', job: reviewJob(4, 'old') }));
    await started.promise;
    const newer = await submitJob(
      store,
      p,
      jobInput({ deliveryId: 'p2', job: reviewJob(4, 'new') }),
    );
    expect(newer.supersededRunning).toEqual([old.job.id]);
    await waitUntil(async () => (await statusOf(store, newer.job.id)) === 'succeeded');
    await p.stop();

    const reason = reasons.get(old.job.id);
    expect(reason).toBeInstanceOf(JobSuperseded);
    expect((reason as JobSuperseded).supersededBy).toBe(newer.job.id);
    expect(await statusOf(store, old.job.id)).toBe('superseded');
    expect(types()).toEqual(['claimed', 'superseded', 'claimed', 'succeeded']);
  });

  it('learns at its heartbeat that another process superseded its running job', async () => {
    const file = await stores.dbPath();
    const workerStore = stores.open(file);
    const webhookStore = stores.open(file);
    const started = deferred();
    let reason: unknown;
    const { pool: p } = pool(workerStore, {
      heartbeatMs: 30,
      run: (job, signal) => {
        started.resolve();
        if (job.deliveryId !== 'p1') return Promise.resolve();
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            resolve(undefined);
          }),
        );
      },
    });
    p.start();
    const old = await workerStore.enqueue(jobInput({ deliveryId: 'p1', job: reviewJob(4, 'old') }));
    p.notify();
    await started.promise;
    // The webhook arrives at another process: nobody calls p.abort.
    await webhookStore.enqueue(jobInput({ deliveryId: 'p2', job: reviewJob(4, 'new') }));
    await waitUntil(async () => (await statusOf(workerStore, old.job.id)) === 'superseded');
    await p.stop();
    expect(reason).toBeInstanceOf(JobSuperseded);
  });

  it('on stop, lets a job finish within drainMs', async () => {
    const store = stores.open(await stores.dbPath());
    const started = deferred();
    const { pool: p } = pool(store, {
      run: async () => {
        started.resolve();
        await new Promise((r) => setTimeout(r, 50));
      },
    });
    p.start();
    const { job } = await submitJob(store, p, jobInput({ deliveryId: 'd', job: helpJob(1) }));
    await started.promise;
    await p.stop({ drainMs: 2000 });
    expect(await statusOf(store, job.id)).toBe('succeeded');
  });

  it('on stop, aborts what outlives drainMs and puts it back in the queue uncounted', async () => {
    const store = stores.open(await stores.dbPath());
    const started = deferred();
    let reason: unknown;
    const { pool: p, types } = pool(store, {
      concurrency: 2,
      run: (_job, signal) => {
        started.resolve();
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            resolve(undefined);
          }),
        );
      },
    });
    p.start();
    const { job } = await submitJob(store, p, jobInput({ deliveryId: 'd', job: helpJob(1) }));
    await started.promise;
    await p.stop({ drainMs: 20 });
    expect(reason).toBeInstanceOf(JobInterrupted);
    expect(await store.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(types()).toEqual(['claimed', 'released']);
    expect(p.runningIds()).toEqual([]);
  });

  it('reports a failing store as an event and keeps going; a throwing listener changes nothing', async () => {
    const store = stores.open(await stores.dbPath());
    let failClaims = 2;
    const flaky: JobStore = Object.assign(Object.create(store) as JobStore, {
      claimNext: (...args: Parameters<JobStore['claimNext']>) =>
        failClaims-- > 0 ? Promise.reject(new Error('disk I/O error')) : store.claimNext(...args),
    });
    const events: JobEvent[] = [];
    const p = new JobWorkerPool({
      store: flaky,
      concurrency: 1,
      jobDeadlineMs: 10_000,
      pollIntervalMs: 20,
      run: async () => 'ok',
      onJobEvent: (e) => {
        events.push(e);
        throw new Error('a broken logger');
      },
    });
    const { job } = await store.enqueue(jobInput({ deliveryId: 'd', job: helpJob(1) }));
    p.start();
    await waitUntil(async () => (await statusOf(store, job.id)) === 'succeeded');
    await p.stop();
    expect(events.map((e) => e.type)).toEqual([
      'store-error',
      'store-error',
      'claimed',
      'succeeded',
    ]);
    expect(events[0]).toMatchObject({ operation: 'claimNext' });
  });

  it('two pools on one file (two connections) never run a job twice', async () => {
    const file = await stores.dbPath();
    const a = stores.open(file);
    const b = stores.open(file);
    const runs: { job: string; by: string }[] = [];
    const handler = (by: string) => async (job: StoredJob) => {
      runs.push({ job: job.id, by });
      await new Promise((r) => setTimeout(r, Math.random() * 3));
    };
    const poolA = pool(a, { concurrency: 4, run: handler('a') }).pool;
    const poolB = pool(b, { concurrency: 4, run: handler('b') }).pool;
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      ids.push((await a.enqueue(jobInput({ deliveryId: `d${i}`, job: helpJob(i) }))).job.id);
    }
    poolA.start();
    poolB.start();
    await waitUntil(
      async () => (await a.list({ status: 'succeeded', limit: 1000 })).length === 100,
    );
    await Promise.all([poolA.stop(), poolB.stop()]);

    expect(runs.map((r) => r.job).sort()).toEqual([...ids].sort());
    expect(new Set(runs.map((r) => r.by))).toEqual(new Set(['a', 'b']));
    for (const job of await a.list({ limit: 1000 })) expect(job.attempts).toBe(1);
  });
});
