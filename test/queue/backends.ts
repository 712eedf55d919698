/**
 * The two queue backends for tests that run on both: the SQLite file and BullMQ on a
 * real redis-server started for the test file. Call useBackends() at the top of a file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import type { JobStore } from '../../src/queue/types.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { useTempStores } from './helpers.js';

export interface Backend {
  readonly name: string;
  /** Opens `count` stores on one fresh queue (one per "instance"). */
  open(count: number): Promise<JobStore<Job>[]>;
  /** Lets `other` take over the jobs whose worker stopped heartbeating (LOCK_MS ago). */
  recover(other: JobStore<Job>): Promise<void>;
}

/** A claim not renewed for this long is taken over (SQLite: staleAfterMs; Redis: the lock). */
export const LOCK_MS = 600;

export function useBackends(): Backend[] {
  const sqliteStores = useTempStores();
  let redis: RedisServer | undefined;
  const redisStores: BullmqJobStore<Job>[] = [];

  beforeAll(async () => {
    if (HAS_REDIS) redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    for (const store of redisStores.splice(0)) await store.close();
    await redis?.stop();
  });

  const sqlite: Backend = {
    name: 'SQLite',
    async open(count) {
      const file = await sqliteStores.dbPath();
      return Array.from({ length: count }, () => sqliteStores.open(file));
    },
    async recover(other) {
      await other.recoverInterrupted({ staleAfterMs: LOCK_MS });
    },
  };

  const bullmq: Backend = {
    name: 'BullMQ on Redis',
    async open(count) {
      const queueName = `contract-${randomUUID()}`;
      const stores: BullmqJobStore<Job>[] = [];
      for (let i = 0; i < count; i++) {
        stores.push(
          await BullmqJobStore.open<Job>({
            url: redis!.url,
            queueName,
            lockDurationMs: LOCK_MS,
            stalledIntervalMs: 200,
            groupBackoffMs: 100,
          }),
        );
      }
      redisStores.push(...stores);
      return stores;
    },
    // BullMQ's own stalled check moves the job back; nothing to call.
    async recover() {},
  };

  return HAS_REDIS ? [sqlite, bullmq] : [sqlite];
}
