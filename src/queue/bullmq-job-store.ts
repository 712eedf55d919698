import { randomUUID } from 'node:crypto';
import type { Job as BullJob, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { BullmqClaims } from './bullmq-claims.js';
import { connectBullmq } from './bullmq-connections.js';
import {
  jobIdOf,
  toStoredJob,
  attemptsOf,
  type BullJobData,
  type JobMeta,
} from './bullmq-job-record.js';
import { COUNTED_TYPES, countsOf, subscribeSignals, TYPES_OF } from './bullmq-redis.js';
import {
  resolveBullmqOptions,
  type BullmqJobStoreOptions,
  type ResolvedBullmqOptions,
} from './bullmq-store-options.js';
import { BullmqSupersede } from './bullmq-supersede.js';
import type {
  ClaimGuard,
  ClaimOptions,
  EnqueueInput,
  EnqueueResult,
  HeartbeatResult,
  JobCounts,
  JobStore,
  ListOptions,
  RecoveryResult,
  StoredJob,
  StoreSignal,
} from './types.js';

/**
 * The JobStore on Redis through BullMQ, for several App instances on one Redis. BullMQ
 * gives the queue, the atomic claim (a worker token and a lock per claim), idempotent adds
 * by jobId, delayed jobs (retry backoff), and the stalled-job check that hands a dead
 * worker's job to another. Beside each job a hash keeps what BullMQ has no field for (see
 * bullmq-job-record.ts). The pool drives it exactly like the SQLite store: it claims with
 * getNextJob (BullMQ's manual processing), renews the lock on each heartbeat, and ends the
 * claim with the token, so a worker whose lock was lost cannot record an outcome.
 * Its parts: options (bullmq-store-options.ts), connections (bullmq-connections.ts), the
 * claims it holds (bullmq-claims.ts), superseding (bullmq-supersede.ts).
 */
export class BullmqJobStore<P = unknown> implements JobStore<P> {
  private readonly connection: Redis;
  private readonly workerConnection: Redis;
  private subscriber: Redis | undefined;
  private readonly queue: Queue<BullJobData<P>>;
  private readonly worker: Worker<BullJobData<P>>;
  private readonly base: string;
  private readonly claims = new BullmqClaims<P>((id) => this.meta(id));
  private readonly superseding: BullmqSupersede<P>;
  private readonly stalled: string[] = [];
  private readonly overAttempts: StoredJob<P>[] = [];
  private readonly options: ResolvedBullmqOptions;
  private readonly url: string;

  private constructor(options: BullmqJobStoreOptions) {
    this.url = options.url;
    this.options = resolveBullmqOptions(options);
    const { connection, workerConnection, queue, worker } = connectBullmq<P>(
      options.url,
      this.options,
      (jobId) => this.stalled.push(jobId),
    );
    this.connection = connection;
    this.workerConnection = workerConnection;
    this.queue = queue;
    this.worker = worker;
    this.base = `${this.options.prefix}:${this.options.queueName}:patchling`;
    this.superseding = new BullmqSupersede<P>({
      connection,
      base: this.base,
      metaKey: (id) => this.metaKey(id),
      get: (id) => this.get(id),
      signal: (signal) => this.signal(signal),
    });
  }

  static async open<P = unknown>(options: BullmqJobStoreOptions): Promise<BullmqJobStore<P>> {
    const store = new BullmqJobStore<P>(options);
    try {
      await store.queue.waitUntilReady();
      await store.worker.waitUntilReady();
      // Manual processing: the stalled check is started by hand (BullMQ docs,
      // "manually fetching jobs").
      if (store.options.stalledCheck) {
        void store.worker.startStalledCheckTimer().catch(() => undefined);
      }
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  async enqueue(input: EnqueueInput<P>): Promise<EnqueueResult<P>> {
    const jobId = jobIdOf(input.deliveryId);
    const nonce = randomUUID();
    const key = input.supersedeKey;
    // The sequence orders jobs of one supersede key; a job without one (a webhook delivery)
    // skips the round trip.
    const seq = key === undefined ? undefined : await this.connection.incr(`${this.base}:seq`);
    const data: BullJobData<P> = {
      kind: input.kind,
      payload: input.payload,
      maxAttempts: Math.max(1, Math.floor(input.maxAttempts ?? this.options.defaultMaxAttempts)),
      nonce,
      ...(key === undefined || seq === undefined ? {} : { supersedeKey: key, seq }),
      ...(input.group === undefined ? {} : { group: input.group }),
    };
    // BullMQ's add ignores a jobId it already holds (atomically, in its Lua script): the
    // idempotency across processes. The nonce tells whose add stored the job.
    await this.queue.add(input.kind, data, {
      jobId,
      attempts: 1,
      removeOnComplete: { age: Math.ceil(this.options.keepFinishedMs / 1000) },
      removeOnFail: { age: Math.ceil(this.options.keepFinishedMs / 1000) },
    });
    const job = await this.bullJob(jobId);
    if (!job) throw new Error(`job ${jobId} vanished right after it was added`);
    const none = { superseded: [], supersededRunning: [] };
    if (job.data.nonce !== nonce) {
      const [state, meta] = await Promise.all([this.queue.getJobState(jobId), this.meta(jobId)]);
      return { job: toStoredJob(job, state, meta), duplicate: true, ...none };
    }
    // Ours, just added: waiting, with no meta yet. Not read back: BullMQ's getState scans
    // the wait list (LPOS), which a backlog of deliveries makes slow, and the
    // acknowledgement waits for this.
    const stored = toStoredJob(job, 'waiting', {});
    // A wake-up for the other instances' pools, not part of storing the job: their polls
    // catch up if it is lost, so the acknowledgement does not wait for it.
    this.signal({ type: 'enqueued' }).catch(() => undefined);
    if (key === undefined || seq === undefined) return { job: stored, duplicate: false, ...none };

    return this.superseding.byKey(jobId, seq, key, stored);
  }

  async claimNext(options: ClaimOptions = {}): Promise<StoredJob<P> | undefined> {
    const excluded = new Set(options.excludeGroups ?? []);
    // Bounded: jobs skipped on the way (superseded, over their attempts, a full group).
    for (let skipped = 0; skipped < 50; skipped++) {
      const token = randomUUID();
      const job = (await this.worker.getNextJob(token, { block: false })) as
        BullJob<BullJobData<P>> | undefined;
      if (!job?.id) return undefined;
      const id = job.id;
      const meta = await this.meta(id);
      if (meta.final === 'superseded' || meta.supersededBy !== undefined) {
        await this.superseding.finish(job, token);
        continue;
      }
      if (meta.final === 'failed') {
        // Failed while queued (fail() without a claim): moved where BullMQ keeps failures.
        await job.moveToFailed(new Error(meta.error ?? 'failed'), token, false);
        continue;
      }
      const attempts = attemptsOf(job, meta);
      if (attempts > job.data.maxAttempts) {
        // Claimed more often than allowed: every earlier claim died with its worker.
        const error = `interrupted ${attempts - 1} times: the process running it stopped before it finished`;
        await this.connection.hset(this.metaKey(id), { final: 'failed', error });
        await job.moveToFailed(new Error(error), token, false);
        const failed = await this.get(id);
        if (failed) this.overAttempts.push(failed);
        continue;
      }
      if (job.data.group !== undefined && excluded.has(job.data.group)) {
        await this.connection.hincrby(this.metaKey(id), 'releases', 1);
        await job.moveToDelayed(Date.now() + this.options.groupBackoffMs, token);
        continue;
      }
      const now = Date.now();
      await this.connection.hset(this.metaKey(id), {
        heartbeatAt: now,
        ...(options.deadlineMs === undefined ? {} : { deadlineAt: now + options.deadlineMs }),
      });
      await this.connection.hdel(this.metaKey(id), 'availableAt');
      this.claims.set(id, { token, job });
      return toStoredJob(job, 'active', await this.meta(id));
    }
    return undefined;
  }

  async complete(id: string, options: ClaimGuard & { result?: unknown } = {}): Promise<boolean> {
    return this.claims.end(id, options, (claim) =>
      claim.job.moveToCompleted(options.result ?? null, claim.token, false),
    );
  }

  async fail(id: string, error: string, options: ClaimGuard = {}): Promise<boolean> {
    if (this.claims.has(id)) {
      return this.claims.end(id, options, async (claim) => {
        await this.connection.hset(this.metaKey(id), 'error', error);
        await claim.job.moveToFailed(new Error(error), claim.token, false);
      });
    }
    if (options.attempt !== undefined) return false;
    return this.finalWithoutLock(id, { final: 'failed', error });
  }

  async retry(
    id: string,
    error: string,
    options: ClaimGuard & { readonly delayMs: number },
  ): Promise<boolean> {
    if ((await this.meta(id)).supersededBy !== undefined) return false;
    return this.claims.end(id, options, async (claim) => {
      const availableAt = Date.now() + Math.max(0, options.delayMs);
      await this.connection.hset(this.metaKey(id), { error, availableAt });
      await claim.job.moveToDelayed(availableAt, claim.token);
    });
  }

  async supersede(id: string, options: ClaimGuard = {}): Promise<boolean> {
    const claim = this.claims.get(id);
    if (claim) {
      return this.claims.end(id, options, () => this.superseding.finish(claim.job, claim.token));
    }
    if (options.attempt !== undefined) return false;
    return this.finalWithoutLock(id, { final: 'superseded' });
  }

  async release(id: string, options: ClaimGuard = {}): Promise<boolean> {
    return this.claims.end(id, options, async (claim) => {
      await this.connection.hincrby(this.metaKey(id), 'releases', 1);
      await claim.job.moveToWait(claim.token);
    });
  }

  async heartbeat(id: string, options: ClaimGuard = {}): Promise<HeartbeatResult> {
    const claim = this.claims.get(id);
    const meta = await this.meta(id);
    if (meta.final === 'superseded') return 'superseded';
    if (!claim || !this.claims.guardMatches(claim, meta, options)) return 'lost';
    const renewed = await claim.job.extendLock(claim.token, this.options.lockDurationMs);
    if (!renewed) return 'lost';
    await this.connection.hset(this.metaKey(id), 'heartbeatAt', Date.now());
    return meta.supersededBy === undefined ? 'running' : 'superseded';
  }

  async setProgress(id: string, progress: Readonly<Record<string, unknown>>): Promise<boolean> {
    if (!(await this.bullJob(id))) return false;
    await this.connection.hset(this.metaKey(id), 'progress', JSON.stringify(progress));
    return true;
  }

  async get(id: string): Promise<StoredJob<P> | undefined> {
    const job = await this.bullJob(id);
    if (!job) return undefined;
    const [state, meta] = await Promise.all([job.getState(), this.meta(id)]);
    return toStoredJob(job, state, meta);
  }

  async getByDelivery(deliveryId: string): Promise<StoredJob<P> | undefined> {
    return this.get(jobIdOf(deliveryId));
  }

  async list(options: ListOptions = {}): Promise<StoredJob<P>[]> {
    const limit = options.limit ?? 100;
    const types = TYPES_OF[options.status ?? 'all'];
    const jobs = (await this.queue.getJobs([...types], 0, -1, true)) as BullJob<BullJobData<P>>[];
    const stored = await Promise.all(jobs.map((job) => this.get(job.id ?? '')));
    return stored
      .filter((job): job is StoredJob<P> => job !== undefined)
      .filter((job) => options.status === undefined || job.status === options.status)
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, limit);
  }

  async counts(): Promise<JobCounts> {
    const superseded = await this.superseding.finishedCount();
    return countsOf(await this.queue.getJobCounts(...COUNTED_TYPES), superseded);
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async isSuperseded(id: string): Promise<boolean> {
    const meta = await this.meta(id);
    return meta.final === 'superseded' || meta.supersededBy !== undefined;
  }

  /**
   * BullMQ's stalled check (in every process, every stalledIntervalMs) puts back the jobs
   * whose worker stopped renewing the lock; this returns those it moved since the last
   * call (to finish their old progress), and the jobs a claim found over their attempts
   * (failed, to report). Call it periodically: staleAfterMs is BullMQ's lockDuration here.
   */
  async recoverInterrupted(): Promise<RecoveryResult<P>> {
    const requeued: StoredJob<P>[] = [];
    const superseded: StoredJob<P>[] = [];
    for (const id of this.stalled.splice(0)) {
      const job = await this.get(id);
      if (!job) continue;
      if (job.status === 'superseded' || job.supersededBy !== undefined) superseded.push(job);
      // One with no attempt left is failed by the next claim, and reported then.
      else if (job.status === 'queued' && job.attempts < job.maxAttempts) requeued.push(job);
    }
    return { requeued, failed: this.overAttempts.splice(0), superseded };
  }

  watch(listener: (signal: StoreSignal) => void): () => void {
    const { subscriber, stop } = subscribeSignals(this.url, `${this.base}:signals`, listener);
    this.subscriber = subscriber;
    return stop;
  }

  async close(): Promise<void> {
    await this.worker.close(true).catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    for (const redis of [this.subscriber, this.workerConnection, this.connection]) {
      if (redis && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
    }
  }

  private metaKey(id: string): string {
    return `${this.base}:meta:${id}`;
  }

  private async meta(id: string): Promise<JobMeta> {
    return (await this.connection.hgetall(this.metaKey(id))) as JobMeta;
  }

  private async bullJob(id: string): Promise<BullJob<BullJobData<P>> | undefined> {
    return (await this.queue.getJob(id)) as BullJob<BullJobData<P>> | undefined;
  }

  private async signal(signal: StoreSignal): Promise<void> {
    await this.connection.publish(`${this.base}:signals`, JSON.stringify(signal));
  }

  /** A final state for a job this process holds no lock on (it is not running). */
  private async finalWithoutLock(id: string, meta: JobMeta): Promise<boolean> {
    const job = await this.get(id);
    if (!job || job.status !== 'queued') return false;
    await this.connection.hset(this.metaKey(id), { ...meta });
    return true;
  }
}
