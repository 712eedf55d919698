import type { Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BullJobData } from './bullmq-job-record.js';
import { TAKE_SUPERSEDE_KEY } from './bullmq-redis.js';
import type { EnqueueResult, JobStatus, StoredJob, StoreSignal } from './types.js';

/** What superseding needs from the store it works for. */
export interface SupersedeDeps<P> {
  readonly connection: Redis;
  /** The store's key prefix in Redis (`<prefix>:<queue>:patchling`). */
  readonly base: string;
  metaKey(id: string): string;
  get(id: string): Promise<StoredJob<P> | undefined>;
  signal(signal: StoreSignal): Promise<void>;
}

/**
 * Superseding on Redis: a newer job of the same supersedeKey replaces an older one, across
 * processes. Kept apart from the store because it is the one part that races other App
 * instances (the key is taken by a Lua script) and has its own counter for counts().
 */
export class BullmqSupersede<P> {
  constructor(private readonly deps: SupersedeDeps<P>) {}

  /**
   * After `jobId` (enqueued `seq`-th) was stored with `key`: takes the key, and marks
   * superseded whichever of it and the key's previous job is older.
   */
  async byKey(
    jobId: string,
    seq: number,
    key: string,
    stored: StoredJob<P>,
  ): Promise<EnqueueResult<P>> {
    const none = { superseded: [], supersededRunning: [] };
    const [order, other] = (await this.deps.connection.eval(
      TAKE_SUPERSEDE_KEY,
      1,
      `${this.deps.base}:supersede:${key}`,
      jobId,
      String(seq),
    )) as [string, string];
    if (order === 'older') {
      // A newer push got there first: this one is superseded before it runs.
      await this.mark(jobId, other);
      return { job: (await this.deps.get(jobId)) ?? stored, duplicate: false, ...none };
    }
    if (other === '' || other === jobId) return { job: stored, duplicate: false, ...none };
    const previous = await this.mark(other, jobId);
    return {
      job: stored,
      duplicate: false,
      superseded: previous === 'queued' ? [other] : [],
      supersededRunning: previous === 'running' ? [other] : [],
    };
  }

  /** Marks `id` superseded by `by`; tells every process (the one running it aborts). */
  async mark(id: string, by: string): Promise<JobStatus | undefined> {
    const { connection, metaKey } = this.deps;
    const job = await this.deps.get(id);
    if (!job || job.status === 'succeeded' || job.status === 'failed') return job?.status;
    await connection.hset(metaKey(id), 'supersededBy', by);
    if (job.status === 'queued') {
      await connection.hset(metaKey(id), 'final', 'superseded');
    } else {
      await this.deps.signal({ type: 'superseded', id, by });
    }
    return job.status;
  }

  /** Ends a claim on a superseded job: BullMQ sees it completed, counts() does not. */
  async finish(job: BullJob<BullJobData<P>>, token: string): Promise<void> {
    await this.deps.connection.hset(this.deps.metaKey(job.id ?? ''), 'final', 'superseded');
    await job.moveToCompleted(null, token, false);
    await this.deps.connection.incr(`${this.deps.base}:superseded`);
  }

  /** How many jobs BullMQ counts as completed were superseded. */
  async finishedCount(): Promise<number> {
    return Number((await this.deps.connection.get(`${this.deps.base}:superseded`)) ?? 0);
  }
}
