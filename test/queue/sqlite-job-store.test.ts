import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { QueueSchemaError } from '../../src/queue/errors.js';
import { configureDatabase, SCHEMA_VERSION } from '../../src/queue/sqlite-schema.js';
import { helpJob, manualClock, reviewJob, useTempStores, jobInput } from './helpers.js';

const stores = useTempStores();

describe('SqliteJobStore', () => {
  it('keeps an enqueued job across close and reopen, with WAL and synchronous=FULL', async () => {
    const file = await stores.dbPath();
    const first = stores.open(file);
    const { job } = await first.enqueue(jobInput({ deliveryId: 'd-1', job: reviewJob(1, 'aaa') }));
    await first.setProgress(job.id, { commentId: 42 });
    await first.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();

    const second = stores.open(file);
    const again = await second.get(job.id);
    expect(again).toMatchObject({
      id: job.id,
      deliveryId: 'd-1',
      kind: 'review',
      supersedeKey: 'review:octo/widgets#1',
      status: 'queued',
      attempts: 0,
      maxAttempts: 3,
      progress: { commentId: 42 },
    });
    expect(again?.payload).toEqual(reviewJob(1, 'aaa'));
  });

  it('configures connections for durability: WAL, synchronous=FULL, a busy timeout', async () => {
    const file = await stores.dbPath();
    await stores.open(file).close(); // creates the directory
    const db = new Database(path.join(path.dirname(file), 'raw.sqlite'));
    try {
      configureDatabase(db, { busyTimeoutMs: 1234 });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    } finally {
      db.close();
    }
  });

  it('returns the existing job for a redelivery and enqueues nothing', async () => {
    const store = stores.open(await stores.dbPath());
    const first = await store.enqueue(jobInput({ deliveryId: 'd-1', job: helpJob(5) }));
    const again = await store.enqueue(jobInput({ deliveryId: 'd-1', job: helpJob(6) }));
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.job.id).toBe(first.job.id);
    expect(again.job.payload).toEqual(helpJob(5));
    expect(await store.list()).toHaveLength(1);
  });

  it('claims the oldest queued job, once, and counts the attempt', async () => {
    const clock = manualClock();
    const store = stores.open(await stores.dbPath(), { now: clock.now });
    const a = await store.enqueue(jobInput({ deliveryId: 'a', job: helpJob(1) }));
    clock.advance(1);
    const b = await store.enqueue(jobInput({ deliveryId: 'b', job: helpJob(2) }));

    const first = await store.claimNext({ deadlineMs: 1000 });
    expect(first).toMatchObject({
      id: a.job.id,
      status: 'running',
      attempts: 1,
      startedAt: clock.now(),
      deadlineAt: clock.now() + 1000,
    });
    expect((await store.claimNext())?.id).toBe(b.job.id);
    expect(await store.claimNext()).toBeUndefined();
  });

  it('supersedes a queued review of an older head and reports a running one', async () => {
    const store = stores.open(await stores.dbPath());
    const running = await store.enqueue(
      jobInput({ deliveryId: 'push-1', job: reviewJob(9, 'sha1') }),
    );
    await store.claimNext();
    const queued = await store.enqueue(
      jobInput({ deliveryId: 'push-2', job: reviewJob(9, 'sha2') }),
    );
    const otherPr = await store.enqueue(jobInput({ deliveryId: 'other', job: reviewJob(10, 'x') }));
    const unkeyed = await store.enqueue(jobInput({ deliveryId: 'help', job: helpJob(9) }));
    expect(queued.superseded).toEqual([]);
    expect(queued.supersededRunning).toEqual([running.job.id]);

    const newest = await store.enqueue(
      jobInput({ deliveryId: 'push-3', job: reviewJob(9, 'sha3') }),
    );
    expect(newest.superseded).toEqual([queued.job.id]);
    expect(newest.supersededRunning).toEqual([running.job.id]);

    expect(await store.get(queued.job.id)).toMatchObject({
      status: 'superseded',
      supersededBy: newest.job.id,
    });
    // Still running until its worker stops it, but marked.
    expect(await store.get(running.job.id)).toMatchObject({
      status: 'running',
      supersededBy: newest.job.id,
    });
    expect(await store.isSuperseded(running.job.id)).toBe(true);
    expect(await store.heartbeat(running.job.id)).toBe('superseded');
    expect((await store.get(otherPr.job.id))?.status).toBe('queued');
    expect((await store.get(unkeyed.job.id))?.status).toBe('queued');
    expect(await store.isSuperseded(newest.job.id)).toBe(false);

    // A redelivery of the superseded push changes nothing.
    const redelivered = await store.enqueue(
      jobInput({ deliveryId: 'push-2', job: reviewJob(9, 'sha2') }),
    );
    expect(redelivered).toMatchObject({ duplicate: true, superseded: [], supersededRunning: [] });
    expect((await store.get(newest.job.id))?.status).toBe('queued');
  });

  it('ignores a transition from a stale claim (the attempt guard)', async () => {
    const store = stores.open(await stores.dbPath());
    const { job } = await store.enqueue(jobInput({ deliveryId: 'd', job: helpJob(1) }));
    const claimed = (await store.claimNext())!;
    await store.recoverInterrupted();
    const reclaimed = (await store.claimNext())!;
    expect(reclaimed.attempts).toBe(2);

    expect(await store.complete(job.id, { attempt: claimed.attempts })).toBe(false);
    expect(await store.fail(job.id, 'stale', { attempt: claimed.attempts })).toBe(false);
    expect(await store.heartbeat(job.id, { attempt: claimed.attempts })).toBe('lost');
    expect(await store.complete(job.id, { attempt: 2, result: { comments: 3 } })).toBe(true);
    expect(await store.get(job.id)).toMatchObject({ status: 'succeeded', result: { comments: 3 } });
    // A finished job never moves again.
    expect(await store.fail(job.id, 'late')).toBe(false);
    expect(await store.supersede(job.id)).toBe(false);
    expect(await store.release(job.id)).toBe(false);
  });

  it('release puts a running job back without counting the attempt', async () => {
    const store = stores.open(await stores.dbPath());
    const { job } = await store.enqueue(jobInput({ deliveryId: 'd', job: helpJob(1) }));
    const claimed = (await store.claimNext())!;
    expect(await store.release(job.id, { attempt: claimed.attempts })).toBe(true);
    expect(await store.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await store.get(job.id))?.startedAt).toBeUndefined();
  });

  it('after a crash, requeues running jobs, then fails one interrupted maxAttempts times', async () => {
    const file = await stores.dbPath();
    const crashed = stores.open(file);
    const { job } = await crashed.enqueue(
      jobInput({ deliveryId: 'd', job: helpJob(1), maxAttempts: 2 }),
    );
    await crashed.claimNext();
    // The process dies: the store is never told how the job ended.

    const restarted = stores.open(file);
    const first = await restarted.recoverInterrupted();
    expect(first.requeued.map((j) => j.id)).toEqual([job.id]);
    expect(first.failed).toEqual([]);
    expect(await restarted.get(job.id)).toMatchObject({ status: 'queued', attempts: 1 });

    expect((await restarted.claimNext())?.attempts).toBe(2);
    // It dies again.
    const last = await stores.open(file).recoverInterrupted();
    expect(last.requeued).toEqual([]);
    expect(last.failed).toHaveLength(1);
    expect(last.failed[0]).toMatchObject({
      id: job.id,
      status: 'failed',
      error: 'interrupted 2 times: the process running it stopped before it finished',
    });
    expect(await restarted.claimNext()).toBeUndefined();
  });

  it('on recovery, ends a running job that was superseded instead of requeueing it', async () => {
    const store = stores.open(await stores.dbPath());
    const old = await store.enqueue(jobInput({ deliveryId: '1', job: reviewJob(3, 'a') }));
    await store.claimNext();
    const newer = await store.enqueue(jobInput({ deliveryId: '2', job: reviewJob(3, 'b') }));
    const recovered = await store.recoverInterrupted();
    expect(recovered.superseded.map((j) => j.id)).toEqual([old.job.id]);
    expect(recovered.requeued).toEqual([]);
    expect((await store.claimNext())?.id).toBe(newer.job.id);
  });

  it('with staleAfterMs, recovers only jobs whose heartbeat stopped', async () => {
    const clock = manualClock();
    const store = stores.open(await stores.dbPath(), { now: clock.now });
    const alive = await store.enqueue(jobInput({ deliveryId: 'alive', job: helpJob(1) }));
    const dead = await store.enqueue(jobInput({ deliveryId: 'dead', job: helpJob(2) }));
    await store.claimNext();
    await store.claimNext();
    clock.advance(60_000);
    expect(await store.heartbeat(alive.job.id, { attempt: 1 })).toBe('running');
    clock.advance(1000);

    const recovered = await store.recoverInterrupted({ staleAfterMs: 30_000 });
    expect(recovered.requeued.map((j) => j.id)).toEqual([dead.job.id]);
    expect((await store.get(alive.job.id))?.status).toBe('running');
  });

  it('lists by status, oldest first', async () => {
    const store = stores.open(await stores.dbPath());
    const a = await store.enqueue(jobInput({ deliveryId: 'a', job: helpJob(1) }));
    const b = await store.enqueue(jobInput({ deliveryId: 'b', job: helpJob(2) }));
    const c = await store.enqueue(jobInput({ deliveryId: 'c', job: helpJob(3) }));
    await store.claimNext();
    await store.fail(c.job.id, 'refused');
    expect((await store.list({ status: 'queued' })).map((j) => j.id)).toEqual([b.job.id]);
    expect((await store.list({ status: 'running' })).map((j) => j.id)).toEqual([a.job.id]);
    expect(await store.list({ status: 'failed' })).toMatchObject([{ error: 'refused' }]);
    expect((await store.list({ limit: 2 })).map((j) => j.id)).toEqual([a.job.id, b.job.id]);
  });

  it('refuses a database written by a newer schema', async () => {
    const file = await stores.dbPath();
    await stores.open(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => stores.open(file)).toThrow(QueueSchemaError);
  });
});

describe('SqliteJobStore under a burst', () => {
  it('stores 300 concurrent enqueues in shared commits, each durable when it resolves, a redelivery among them stored once', async () => {
    const file = await stores.dbPath();
    const store = stores.open(file);
    const results = await Promise.all([
      ...Array.from({ length: 300 }, (_, i) =>
        store.enqueue(jobInput({ deliveryId: `burst-${i}`, job: helpJob(i) })),
      ),
      store.enqueue(jobInput({ deliveryId: 'burst-7', job: helpJob(7) })),
    ]);
    expect(results.filter((r) => r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(300);
    // Another connection (another process) sees every one of them.
    const other = stores.open(file);
    expect((await other.counts()).queued).toBe(300);
    expect((await other.getByDelivery('burst-299'))?.payload).toEqual(helpJob(299));
  });

  it('a write that fails in a shared commit rejects alone; the others are stored', async () => {
    const store = stores.open(await stores.dbPath());
    const good = store.enqueue(jobInput({ deliveryId: 'good', job: helpJob(1) }));
    // A payload JSON cannot hold: its own write throws inside the shared commit.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad = store.enqueue({ deliveryId: 'bad', kind: 'help', payload: cyclic as never });
    await expect(bad).rejects.toThrow();
    expect((await good).duplicate).toBe(false);
    expect(await store.getByDelivery('good')).toBeDefined();
    expect(await store.getByDelivery('bad')).toBeUndefined();
  });
});

describe('SqliteJobStore checkpoints', () => {
  // The webhook intake's connection (autoCheckpoint: false) must never run a checkpoint in
  // a commit an acknowledgement waits for; the other connection's commits run them.
  it('leaves checkpoints to the other connection when autoCheckpoint is false', async () => {
    const file = await stores.dbPath();
    const main = stores.open(file);
    const intake = stores.open(file, { autoCheckpoint: false });
    // About two pages a job: 600 jobs write ~1,200 pages, past SQLite's 1,000-page threshold.
    const bigJob = (n: number) => {
      const job = { ...helpJob(n), filler: 'x'.repeat(6000) };
      return jobInput({ deliveryId: `big-${n}`, job });
    };
    const walPages = () => statSync(`${file}-wal`).size / 4096;
    for (let n = 0; n < 600; n++) await intake.enqueue(bigJob(n));
    expect(walPages()).toBeGreaterThan(1100); // never checkpointed: the WAL only grew

    // A commit on the other connection checkpoints it all; the WAL then starts over, so
    // the intake's next writes reuse it instead of growing it.
    await main.enqueue(jobInput({ deliveryId: 'main-1', job: helpJob(9999) }));
    const size = walPages();
    for (let n = 600; n < 700; n++) await intake.enqueue(bigJob(n));
    expect(walPages()).toBe(size);
    expect((await main.counts()).queued).toBe(701);
  });

  it('checkpoints in its own commits by default', async () => {
    const file = await stores.dbPath();
    const store = stores.open(file);
    for (let n = 0; n < 600; n++) {
      const job = { ...helpJob(n), filler: 'x'.repeat(6000) };
      await store.enqueue(jobInput({ deliveryId: `big-${n}`, job }));
    }
    expect(statSync(`${file}-wal`).size / 4096).toBeLessThan(1100);
  });
});
