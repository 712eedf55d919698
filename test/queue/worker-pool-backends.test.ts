/**
 * The worker pool on both backends: transient failures retried with backoff and a bounded
 * number of attempts, permanent ones failed at once, one installation unable to take
 * every slot, and a newer push in one instance aborting the review another runs.
 */
import { describe, expect, it } from 'vitest';
import { SystemError, UserError } from '../../src/errors.js';
import type { Job } from '../../src/jobs/job.js';
import type { JobEvent } from '../../src/queue/job-events.js';
import { submitJob } from '../../src/queue/submit-job.js';
import type { JobStore } from '../../src/queue/types.js';
import { JobWorkerPool, type JobWorkerPoolOptions } from '../../src/queue/worker-pool.js';
import { useBackends } from './backends.js';
import { deferred, helpJob, jobInput, reviewJob, waitUntil } from './helpers.js';

const backends = useBackends();

function startPool(
  store: JobStore<Job>,
  options: Partial<JobWorkerPoolOptions<Job>> & Pick<JobWorkerPoolOptions<Job>, 'run'>,
) {
  const events: JobEvent[] = [];
  const pool = new JobWorkerPool<Job>({
    store,
    concurrency: 1,
    jobDeadlineMs: 20_000,
    pollIntervalMs: 50,
    heartbeatMs: 150,
    abortGraceMs: 500,
    retryDelayMs: () => 100,
    onJobEvent: (e) => events.push(e),
    ...options,
  });
  pool.start();
  return { pool, events, types: () => events.map((e) => e.type) };
}

const installationJob = (installationId: number, n: number): Job => ({
  ...helpJob(n),
  repo: { owner: 'octo', repo: `r${installationId}`, installationId },
});

describe.each(backends)('the worker pool on $name', (backend) => {
  it('retries a transient failure with backoff, then succeeds; the attempts are counted', async () => {
    const [store] = await backend.open(1);
    let calls = 0;
    const { pool, types } = startPool(store!, {
      run: async () => {
        calls++;
        if (calls < 3) throw new SystemError('GitHub answered 502', { retryable: true });
        return 'ok';
      },
    });
    const { job } = await submitJob(store!, pool, jobInput({ deliveryId: 't', job: helpJob(1) }));
    await waitUntil(async () => (await store!.get(job.id))?.status === 'succeeded', 10_000);
    await pool.stop();
    expect(calls).toBe(3);
    expect(types()).toEqual(['claimed', 'retrying', 'claimed', 'retrying', 'claimed', 'succeeded']);
    expect((await store!.get(job.id))?.attempts).toBe(3);
  });

  it('fails a transient failure after maxAttempts, with the reason; a permanent one at once', async () => {
    const [store] = await backend.open(1);
    const { pool, events } = startPool(store!, {
      run: async (job) => {
        if (job.deliveryId === 'flaky') throw new SystemError('network reset', { retryable: true });
        throw new UserError('the config file is not YAML');
      },
    });
    const flaky = await submitJob(
      store!,
      pool,
      jobInput({ deliveryId: 'flaky', job: helpJob(1), maxAttempts: 2 }),
    );
    const bad = await submitJob(store!, pool, jobInput({ deliveryId: 'bad', job: helpJob(2) }));
    await waitUntil(async () => (await store!.get(flaky.job.id))?.status === 'failed', 10_000);
    await waitUntil(async () => (await store!.get(bad.job.id))?.status === 'failed', 10_000);
    await pool.stop();
    expect(await store!.get(flaky.job.id)).toMatchObject({
      attempts: 2,
      error: 'failed 2 times, the last time: network reset',
    });
    expect(await store!.get(bad.job.id)).toMatchObject({
      attempts: 1,
      error: 'the config file is not YAML',
    });
    const failed = events.filter((e) => e.type === 'failed').map((e) => e.job.deliveryId);
    expect(failed.sort()).toEqual(['bad', 'flaky']);
  });

  it('one busy installation cannot take every slot', async () => {
    const [store] = await backend.open(1);
    const release = deferred();
    const running = new Set<string>();
    let maxBusy = 0;
    let quietStarted = false;
    const { pool } = startPool(store!, {
      concurrency: 3,
      perGroupConcurrency: 1,
      run: async (job) => {
        if (job.group === 'installation:2') {
          quietStarted = true;
          return;
        }
        running.add(job.id);
        maxBusy = Math.max(maxBusy, running.size);
        await release.promise;
        running.delete(job.id);
      },
    });
    // Five jobs from one installation, then one from another: the other's runs at once.
    for (let i = 0; i < 5; i++) {
      await submitJob(
        store!,
        pool,
        jobInput({ deliveryId: `busy${i}`, job: installationJob(1, i) }),
      );
    }
    await submitJob(store!, pool, jobInput({ deliveryId: 'quiet', job: installationJob(2, 9) }));
    await waitUntil(() => quietStarted, 10_000);
    expect(maxBusy).toBe(1);
    release.resolve();
    await waitUntil(async () => (await store!.counts()).succeeded === 6, 15_000);
    await pool.stop();
    expect(maxBusy).toBe(1);
  });

  it('a newer push enqueued by another instance aborts the review running here', async () => {
    const [here, webhookInstance] = await backend.open(2);
    const started = deferred();
    const { pool, types } = startPool(here!, {
      // Only a signal (Redis pub/sub) or the heartbeat can tell this pool.
      heartbeatMs: 300,
      run: (_job, signal) => {
        started.resolve();
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason as Error)),
        );
      },
    });
    const old = await webhookInstance!.enqueue(
      jobInput({ deliveryId: 'p1', job: reviewJob(4, 'a') }),
    );
    pool.notify();
    await started.promise;
    const newer = await webhookInstance!.enqueue(
      jobInput({ deliveryId: 'p2', job: reviewJob(4, 'b') }),
    );
    expect(newer.supersededRunning).toEqual([old.job.id]);
    await waitUntil(async () => (await here!.get(old.job.id))?.status === 'superseded', 10_000);
    await pool.stop({ drainMs: 0 });
    expect(types().slice(0, 2)).toEqual(['claimed', 'superseded']);
  });
});
