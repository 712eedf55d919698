/**
 * A BullMQ store opened with stalledCheck: false (the App's webhook intake) only adds jobs:
 * it never moves a dead worker's job back, because the stalled jobs it found would be
 * reported to it and not to the pool that finalizes their progress.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { helpJob, jobInput } from './helpers.js';

const LOCK_MS = 600;
const INTERVAL_MS = 200;

let redis: RedisServer | undefined;
const stores: BullmqJobStore<Job>[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await redis?.stop();
  redis = undefined;
});

describe.skipIf(!HAS_REDIS)('a BullMQ store without the stalled check', () => {
  it("leaves a dead worker's job to the stores that run the check", async () => {
    redis = await startRedis();
    const queueName = `producer-${randomUUID()}`;
    const open = async (stalledCheck: boolean) => {
      const store = await BullmqJobStore.open<Job>({
        url: redis!.url,
        queueName,
        lockDurationMs: LOCK_MS,
        stalledIntervalMs: INTERVAL_MS,
        stalledCheck,
      });
      stores.push(store);
      return store;
    };
    const producer = await open(false);
    const worker = await open(true);
    const { job } = await producer.enqueue(jobInput({ deliveryId: 'd-1', job: helpJob(1) }));
    expect((await worker.claimNext())?.id).toBe(job.id);
    // The worker dies holding the claim: its lock is never renewed.
    stores.splice(stores.indexOf(worker), 1);
    await worker.close();

    // Many lock lengths and check intervals later, with only the producer alive, the job
    // is still running: nothing looked for it.
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS + 8 * INTERVAL_MS));
    expect((await producer.get(job.id))?.status).toBe('running');
    expect((await producer.recoverInterrupted()).requeued).toEqual([]);

    // A store that runs the check takes it back, and reports it for its progress.
    const other = await open(true);
    const deadline = Date.now() + 20_000;
    let requeued: string[] = [];
    while (requeued.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      requeued = (await other.recoverInterrupted()).requeued.map((j) => j.id);
    }
    expect(requeued).toEqual([job.id]);
    expect((await other.claimNext())?.id).toBe(job.id);
  }, 40_000);
});
