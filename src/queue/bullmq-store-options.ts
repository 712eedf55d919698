import { DEFAULT_MAX_ATTEMPTS } from './sqlite-job-store.js';

/**
 * The BullMQ store's options and their defaults. Kept apart from the store so the knobs an
 * operator tunes (lock, stalled check, backoff, retention) read in one place.
 */
export interface BullmqJobStoreOptions {
  /** redis://[user:password@]host:port[/db] (PATCHLING_QUEUE_URL). */
  readonly url: string;
  /** The BullMQ queue's name. Default 'patchling'. */
  readonly queueName?: string;
  /** Key prefix in Redis. Default 'bull' (BullMQ's). */
  readonly prefix?: string;
  readonly defaultMaxAttempts?: number;
  /**
   * A claim's lock lives this long unless the pool's heartbeat renews it; a worker that
   * died is detected after it (plus up to two stalled checks). Default 60 s; keep it a
   * few times the pool's heartbeatMs.
   */
  readonly lockDurationMs?: number;
  /** How often this process looks for jobs whose lock expired. Default 30 s. */
  readonly stalledIntervalMs?: number;
  /**
   * Whether this store looks for stalled jobs. Default true. False for a store that only
   * adds jobs (the App's webhook intake thread): the stalled jobs it found would be
   * reported to it, not to the pool that finalizes them.
   */
  readonly stalledCheck?: boolean;
  /** A job of a group at its limit goes back for this long. Default 2 s. */
  readonly groupBackoffMs?: number;
  /** Finished jobs are kept this long (the idempotency window of their keys). Default 7 days. */
  readonly keepFinishedMs?: number;
}

export type ResolvedBullmqOptions = Required<Omit<BullmqJobStoreOptions, 'url'>>;

export function resolveBullmqOptions(options: BullmqJobStoreOptions): ResolvedBullmqOptions {
  return {
    queueName: options.queueName ?? 'patchling',
    prefix: options.prefix ?? 'bull',
    defaultMaxAttempts: options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    lockDurationMs: options.lockDurationMs ?? 60_000,
    stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
    stalledCheck: options.stalledCheck ?? true,
    groupBackoffMs: options.groupBackoffMs ?? 2000,
    keepFinishedMs: options.keepFinishedMs ?? 7 * 24 * 3_600_000,
  };
}
