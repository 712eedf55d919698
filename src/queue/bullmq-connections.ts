import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { BullJobData } from './bullmq-job-record.js';
import type { ResolvedBullmqOptions } from './bullmq-store-options.js';

/**
 * The Redis connections, BullMQ Queue and Worker one BullMQ store runs on. Kept apart from
 * the store because each connection's retry policy is a deliberate, separate choice.
 */
export interface BullmqConnections<P> {
  /** The store's own commands and the Queue's. */
  readonly connection: Redis;
  /** The Worker's (BullMQ requires it to retry forever). */
  readonly workerConnection: Redis;
  readonly queue: Queue<BullJobData<P>>;
  readonly worker: Worker<BullJobData<P>>;
}

export function connectBullmq<P>(
  url: string,
  options: ResolvedBullmqOptions,
  onStalled: (jobId: string) => void,
): BullmqConnections<P> {
  // The store's own connection fails fast while Redis is unreachable (no offline queue):
  // an enqueue must reject, so the webhook is not acknowledged, rather than wait. BullMQ's
  // worker connection must retry forever (maxRetriesPerRequest null), as its docs say.
  const connection = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
  });
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null });
  const { queueName, prefix } = options;
  const queue = new Queue<BullJobData<P>>(queueName, { connection, prefix });
  const worker = new Worker<BullJobData<P>>(queueName, null, {
    connection: workerConnection,
    prefix,
    autorun: false,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // Attempts are the store's business (maxAttempts per job, interruptions included).
    maxStalledCount: Number.MAX_SAFE_INTEGER,
  });
  worker.on('stalled', onStalled);
  // Errors surface through the calls that fail; the event only keeps Node from throwing.
  worker.on('error', () => undefined);
  queue.on('error', () => undefined);
  return { connection, workerConnection, queue, worker };
}
