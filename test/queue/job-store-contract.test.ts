/**
 * The JobStore contract, run against both backends: the embedded SQLite file and BullMQ
 * on a real redis-server. Two stores on one backend stand for two App instances.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import type { JobStore } from '../../src/queue/types.js';
import { LOCK_MS, useBackends } from './backends.js';
import { helpJob, jobInput, reviewJob, waitUntil } from './helpers.js';

const backends = useBackends();

describe.each(backends)('the job store contract on $name', (backend) => {
  async function one(): Promise<JobStore<Job>> {
    return (await backend.open(1))[0]!;
  }

  it('stores a job once per delivery id: a redelivery returns it and changes nothing', async () => {
    const store = await one();
    const first = await store.enqueue(jobInput({ deliveryId: 'gh-1', job: helpJob(1) }));
    const again = await store.enqueue(jobInput({ deliveryId: 'gh-1', job: helpJob(2) }));
    expect(first).toMatchObject({ duplicate: false, job: { status: 'queued', attempts: 0 } });
    expect(again.duplicate).toBe(true);
    expect(again.job.id).toBe(first.job.id);
    expect(again.job.payload).toEqual(helpJob(1));
    expect(await store.getByDelivery('gh-1')).toMatchObject({ id: first.job.id, kind: 'help' });
    expect((await store.counts()).queued).toBe(1);
  });

  it('claims the oldest job first, once, and records its outcome', async () => {
    const store = await one();
    const a = await store.enqueue(jobInput({ deliveryId: 'a', job: helpJob(1) }));
    const b = await store.enqueue(jobInput({ deliveryId: 'b', job: helpJob(2) }));
    const claimed = await store.claimNext({ deadlineMs: 60_000 });
    expect(claimed).toMatchObject({ id: a.job.id, status: 'running', attempts: 1 });
    // The claim carries its deadline: a scan ends its own work before it (scan-deadline.ts).
    expect(claimed?.deadlineAt).toEqual(expect.any(Number));
    expect(await store.complete(a.job.id, { attempt: 1, result: { ok: 1 } })).toBe(true);
    expect(await store.complete(a.job.id, { attempt: 1 })).toBe(false);
    expect(await store.get(a.job.id)).toMatchObject({ status: 'succeeded', result: { ok: 1 } });

    const second = await store.claimNext();
    expect(second?.id).toBe(b.job.id);
    expect(await store.fail(b.job.id, 'GitHub said no', { attempt: 1 })).toBe(true);
    expect(await store.get(b.job.id)).toMatchObject({ status: 'failed', error: 'GitHub said no' });
    expect(await store.claimNext()).toBeUndefined();
    expect(await store.counts()).toMatchObject({ succeeded: 1, failed: 1, queued: 0 });
  });

  it('a newer push supersedes the queued review and marks the running one', async () => {
    const store = await one();
    const running = await store.enqueue(jobInput({ deliveryId: 'p1', job: reviewJob(9, 's1') }));
    await store.claimNext();
    const queued = await store.enqueue(jobInput({ deliveryId: 'p2', job: reviewJob(9, 's2') }));
    const other = await store.enqueue(jobInput({ deliveryId: 'o', job: reviewJob(10, 'x') }));
    const newest = await store.enqueue(jobInput({ deliveryId: 'p3', job: reviewJob(9, 's3') }));

    expect(newest.superseded).toEqual([queued.job.id]);
    expect(queued.supersededRunning).toEqual([running.job.id]);
    expect((await store.get(queued.job.id))?.status).toBe('superseded');
    expect(await store.isSuperseded(running.job.id)).toBe(true);
    expect(await store.heartbeat(running.job.id, { attempt: 1 })).toBe('superseded');
    expect(await store.isSuperseded(other.job.id)).toBe(false);
    // The queued one is never run: the next claims are the other PR's and the newest.
    const next = [(await store.claimNext())?.id, (await store.claimNext())?.id];
    expect(next).toEqual([other.job.id, newest.job.id]);
  });

  it('retries a transient failure after its delay, counting the attempt and keeping the reason', async () => {
    const store = await one();
    const { job } = await store.enqueue(jobInput({ deliveryId: 'r', job: helpJob(1) }));
    await store.claimNext();
    expect(await store.retry(job.id, 'GitHub 502', { attempt: 1, delayMs: 400 })).toBe(true);
    expect(await store.get(job.id)).toMatchObject({ status: 'queued', error: 'GitHub 502' });
    expect(await store.claimNext()).toBeUndefined();
    await waitUntil(async () => (await store.get(job.id))?.status === 'queued', 2000);
    let again: Awaited<ReturnType<typeof store.claimNext>>;
    await waitUntil(async () => (again = await store.claimNext()) !== undefined, 5000);
    expect(again!).toMatchObject({ id: job.id, attempts: 2 });
  });

  it('a queued job failed by hand is never claimed', async () => {
    const store = await one();
    const { job } = await store.enqueue(jobInput({ deliveryId: 'f', job: helpJob(1) }));
    expect(await store.fail(job.id, 'refused: the config is invalid')).toBe(true);
    expect(await store.get(job.id)).toMatchObject({
      status: 'failed',
      error: 'refused: the config is invalid',
    });
    expect(await store.claimNext()).toBeUndefined();
    expect(await store.get(job.id)).toMatchObject({ status: 'failed' });
  });

  it('a released job (shutdown) goes back without counting the attempt', async () => {
    const store = await one();
    const { job } = await store.enqueue(jobInput({ deliveryId: 'x', job: helpJob(1) }));
    await store.claimNext();
    expect(await store.release(job.id, { attempt: 1 })).toBe(true);
    expect(await store.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await store.claimNext()).toMatchObject({ id: job.id, attempts: 1 });
  });

  it('skips the jobs of a group at its limit and leaves them for later', async () => {
    const store = await one();
    const busy = { ...helpJob(1), repo: { owner: 'o', repo: 'r', installationId: 1 } };
    const quiet = { ...helpJob(2), repo: { owner: 'o', repo: 'q', installationId: 2 } };
    const a = await store.enqueue(jobInput({ deliveryId: 'busy', job: busy }));
    const b = await store.enqueue(jobInput({ deliveryId: 'quiet', job: quiet }));
    const claimed = await store.claimNext({ excludeGroups: ['installation:1'] });
    expect(claimed?.id).toBe(b.job.id);
    let later: Awaited<ReturnType<typeof store.claimNext>>;
    await waitUntil(async () => (later = await store.claimNext()) !== undefined, 5000);
    expect(later!).toMatchObject({ id: a.job.id, attempts: 1 });
  });

  it('keeps the progress record, and answers ping', async () => {
    const store = await one();
    const { job } = await store.enqueue(jobInput({ deliveryId: 'p', job: helpJob(1) }));
    expect(await store.setProgress(job.id, { comment: 42 })).toBe(true);
    expect(await store.setProgress('no-such-job', { comment: 1 })).toBe(false);
    expect((await store.get(job.id))?.progress).toEqual({ comment: 42 });
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('two instances enqueueing one idempotent key at once store one job (a schedule fires once per period)', async () => {
    const [a, b] = await backend.open(2);
    const key = 'scan:octo/widgets:2026-12-06';
    const scan: Job = {
      kind: 'scan',
      repo: { owner: 'octo', repo: 'widgets', installationId: 7 },
      ref: 'main',
      trigger: 'configured_schedule',
    };
    const results = await Promise.all(
      [a!, b!, a!, b!].map((store) => store.enqueue(jobInput({ deliveryId: key, job: scan }))),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(await a!.list({ limit: 10 })).toHaveLength(1);
  });

  it('two instances claiming at once never claim a job twice', async () => {
    const [a, b] = await backend.open(2);
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      ids.add((await a!.enqueue(jobInput({ deliveryId: `d${i}`, job: helpJob(i) }))).job.id);
    }
    const drain = async (store: JobStore<Job>) => {
      const got: string[] = [];
      for (let job = await store.claimNext(); job; job = await store.claimNext()) {
        got.push(job.id);
        await store.complete(job.id, { attempt: job.attempts });
      }
      return got;
    };
    const [fromA, fromB] = await Promise.all([drain(a!), drain(b!)]);
    const all = [...fromA, ...fromB];
    expect(all).toHaveLength(40);
    expect(new Set(all)).toEqual(ids);
  });

  it("a dead instance's job is taken over by another after a bounded time; the dead claim can no longer record", async () => {
    const [dead, alive] = await backend.open(2);
    const { job } = await dead!.enqueue(jobInput({ deliveryId: 'k', job: helpJob(1) }));
    await dead!.claimNext();
    await dead!.setProgress(job.id, { comment: 7 });
    // `dead` stops heartbeating. Within a few lock periods another instance claims it.
    const started = Date.now();
    let taken: Awaited<ReturnType<JobStore<Job>['claimNext']>>;
    await waitUntil(async () => {
      await backend.recover(alive!);
      taken = await alive!.claimNext();
      return taken !== undefined;
    }, 10_000);
    expect(Date.now() - started).toBeLessThan(LOCK_MS * 10);
    expect(taken!).toMatchObject({ id: job.id, attempts: 2, progress: { comment: 7 } });
    expect(await dead!.complete(job.id, { attempt: 1 })).toBe(false);
    expect(await alive!.complete(job.id, { attempt: 2 })).toBe(true);
    expect((await alive!.get(job.id))?.status).toBe('succeeded');
  });
});
