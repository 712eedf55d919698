/**
 * Two processes (two "instances") on one real redis-server, each a worker pool on the
 * BullMQ store: a burst is split with every job run once; a process killed with SIGKILL
 * mid-job loses nothing and completes nothing twice; a newer push aborts a review running
 * in the other process; SIGTERM hands running jobs back.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process.js';
import { helpJob, jobInput, reviewJob, waitUntil } from './helpers.js';

const WORKER = fileURLToPath(new URL('./fixtures/bullmq-worker.ts', import.meta.url));

let redis: RedisServer;
const children: ChildProcessWithoutNullStreams[] = [];
const stores: BullmqJobStore<Job>[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendonly: true });
}, 30_000);
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const store of stores.splice(0)) await store.close();
});
afterAll(async () => {
  await redis?.stop();
});

type Instance = FixtureProcess;

function startInstance(queueName: string): Instance {
  const instance = spawnFixture(WORKER, [redis.url, queueName]);
  children.push(instance.child);
  return instance;
}

async function producer(queueName: string): Promise<BullmqJobStore<Job>> {
  // The same timings as the instances: BullMQ runs one stalled check per interval per
  // queue, whichever process's turn it is.
  const store = await BullmqJobStore.open<Job>({
    url: redis.url,
    queueName,
    lockDurationMs: 800,
    stalledIntervalMs: 200,
  });
  stores.push(store);
  return store;
}

const count = (instances: Instance[], prefix: string) =>
  instances.flatMap((i) => i.lines).filter((line) => line.startsWith(prefix));

describe.skipIf(!HAS_REDIS)('two instances on one Redis', () => {
  it('split a burst of deliveries, each job run exactly once', async () => {
    const queueName = `burst-${randomUUID()}`;
    const instances = [startInstance(queueName), startInstance(queueName)];
    await waitUntil(() => instances.every((i) => i.lines.includes('ready')), 30_000);
    const store = await producer(queueName);
    const ids = new Set<string>();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        store.enqueue(jobInput({ deliveryId: `burst-${i}`, job: helpJob(i) })),
      ),
    );
    for (const r of results) ids.add(r.job.id);
    // A redelivery of every tenth delivery, while the burst runs: nothing more is run.
    for (let i = 0; i < 100; i += 10) {
      const again = await store.enqueue(jobInput({ deliveryId: `burst-${i}`, job: helpJob(i) }));
      expect(again.duplicate).toBe(true);
    }
    await waitUntil(() => count(instances, 'done ').length >= 100, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const done = count(instances, 'done ').map((line) => line.split(' ')[1]);
    expect(done).toHaveLength(100);
    expect(new Set(done)).toEqual(ids);
    expect(count(instances, 'start ')).toHaveLength(100);
    // Both instances took part.
    for (const instance of instances) {
      expect(
        instance.lines.some((l) => l.startsWith('done ')),
        instance.stderr(),
      ).toBe(true);
    }
    expect(await store.counts()).toMatchObject({ succeeded: 100, queued: 0, running: 0 });
  }, 60_000);

  it('a SIGKILL mid-job loses nothing and completes nothing twice: the other instance takes the job over', async () => {
    const queueName = `kill-${randomUUID()}`;
    const store = await producer(queueName);
    const victim = startInstance(queueName);
    await waitUntil(() => victim.lines.includes('ready'), 30_000);
    // Two quick jobs and one that hangs: the victim is killed while it runs.
    const { job: hung } = await store.enqueue(
      jobInput({ deliveryId: 'hangs', job: helpJob(-1), maxAttempts: 2 }),
    );
    await waitUntil(() => victim.lines.includes(`start ${hung.id} 1`), 20_000);
    const quick = await Promise.all(
      [1, 2, 3].map((i) => store.enqueue(jobInput({ deliveryId: `q${i}`, job: helpJob(i) }))),
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    expect((await store.get(hung.id))?.status).toBe('running');

    const survivor = startInstance(queueName);
    await waitUntil(() => survivor.lines.includes('ready'), 30_000);
    // The survivor takes the dead instance's job over once its lock expires.
    await waitUntil(() => survivor.lines.includes(`start ${hung.id} 2`), 20_000).catch(
      async (error: unknown) => {
        throw new Error(
          `${String(error)}\n${JSON.stringify(await store.get(hung.id))}\n${survivor.lines.join('\n')}\n${survivor.stderr()}\nvictim:${victim.lines.join('\n')}`,
        );
      },
    );
    const resumed = await store.get(hung.id);
    expect(resumed).toMatchObject({ status: 'running', attempts: 2 });
    // The progress the dead instance recorded was there for the survivor to finish.
    for (const { job } of quick) {
      await waitUntil(async () => (await store.get(job.id))?.status === 'succeeded', 20_000);
    }
    const done = count([victim, survivor], 'done ').map((l) => l.split(' ')[1]);
    for (const { job } of quick) expect(done.filter((id) => id === job.id)).toHaveLength(1);

    // The survivor dies too: the job has used its two attempts and fails with the reason.
    survivor.child.kill('SIGKILL');
    await survivor.exited;
    const third = startInstance(queueName);
    await waitUntil(async () => (await store.get(hung.id))?.status === 'failed', 20_000).catch(
      async (error: unknown) => {
        throw new Error(
          `${String(error)}\n${JSON.stringify(await store.get(hung.id))}\n${third.lines.join('\n')}\n${third.stderr()}`,
        );
      },
    );
    expect((await store.get(hung.id))?.error).toMatch(/^interrupted 2 times/);
    expect(third.lines.filter((l) => l.includes(hung.id) && l.startsWith('start '))).toEqual([]);
  }, 90_000);

  it('a newer push aborts a review running in the other instance at once', async () => {
    const queueName = `supersede-${randomUUID()}`;
    const worker = startInstance(queueName);
    await waitUntil(() => worker.lines.includes('ready'), 30_000);
    const webhookSide = await producer(queueName);
    const old = await webhookSide.enqueue(
      jobInput({ deliveryId: 'push-1', job: reviewJob(4, 'a') }),
    );
    await waitUntil(() => worker.lines.includes(`start ${old.job.id} 1`), 20_000);

    const sent = Date.now();
    const newer = await webhookSide.enqueue(
      jobInput({ deliveryId: 'push-2', job: reviewJob(4, 'b') }),
    );
    expect(newer.supersededRunning).toEqual([old.job.id]);
    await waitUntil(() => worker.lines.includes(`aborted ${old.job.id} JobSuperseded`), 10_000);
    // Pub/sub, not the 200 ms heartbeat's next round nor the 1 s poll, but allow a loaded machine.
    expect(Date.now() - sent).toBeLessThan(5000);
    await waitUntil(async () => (await webhookSide.get(old.job.id))?.status === 'superseded');
    // The newer review runs (and waits, as reviews do in this fixture).
    await waitUntil(() => worker.lines.includes(`start ${newer.job.id} 1`), 10_000);
  }, 60_000);

  it('SIGTERM stops claiming and hands back a job still running after the grace period', async () => {
    const queueName = `term-${randomUUID()}`;
    const store = await producer(queueName);
    const instance = startInstance(queueName);
    await waitUntil(() => instance.lines.includes('ready'), 30_000);
    const { job: long } = await store.enqueue(jobInput({ deliveryId: 'long', job: helpJob(-5) }));
    await waitUntil(() => instance.lines.includes(`start ${long.id} 1`), 20_000);
    instance.child.kill('SIGTERM');
    expect(await instance.exited).toBe(0);
    expect(instance.lines).toContain(`event released ${long.id}`);
    // Back in the queue, the attempt not counted: the next instance runs it.
    expect(await store.get(long.id)).toMatchObject({ status: 'queued', attempts: 0 });
  }, 60_000);
});
