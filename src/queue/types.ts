/**
 * The durable job store, as an interface with two implementations: the embedded default
 * on SQLite (sqlite-job-store.ts) and BullMQ on Redis for several instances
 * (bullmq-job-store.ts). Every method returns a Promise so a networked store fits. The
 * store knows nothing of what a job means: its producer gives the kind, the supersede
 * key and the fairness group as plain data, and the payload comes back as it went in
 * (`P`, JSON-serializable).
 *
 * Transitions (anything else is refused):
 *   queued  ──claimNext──► running ──complete──► succeeded
 *     │                     │  ├────fail──────► failed
 *     │                     │  ├────retry─────► queued   (a transient failure; claimable after a delay)
 *     │                     │  ├──supersede───► superseded
 *     │                     │  └───release────► queued   (shutdown; the attempt is not counted)
 *     └──newer job, same supersede key, or supersede──► superseded
 *   running (its process died) ──recoverInterrupted──► queued | failed | superseded
 */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'superseded';

export interface StoredJob<P = unknown> {
  readonly id: string;
  /**
   * The idempotency key: GitHub's X-GitHub-Delivery, or any key the producer guarantees
   * unique per event (e.g. one per repository and period for a scheduled scan).
   */
  readonly deliveryId: string;
  /** What the producer called it (for logs and metrics); the store does not read it. */
  readonly kind: string;
  /** Jobs with the same key replace one another (for reviews: src/jobs/job.ts supersedeKey). */
  readonly supersedeKey?: string;
  /** Fairness: at most `perGroupConcurrency` jobs of one group run at once in a pool. */
  readonly group?: string;
  readonly payload: P;
  readonly status: JobStatus;
  /** How many times the job was claimed (a shutdown release does not count). */
  readonly attempts: number;
  /** Claims allowed before an interrupted job is failed instead of requeued. */
  readonly maxAttempts: number;
  /** Epoch milliseconds, from the store's clock. */
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly deadlineAt?: number;
  /** Last sign of life from the worker running it. */
  readonly heartbeatAt?: number;
  /** Set on a running job when a newer one with the same key arrived. */
  readonly supersededBy?: string;
  /** Not claimed before this time (epoch ms): a retry's backoff. */
  readonly availableAt?: number;
  /** Why it failed (or, while queued for a retry, why the last attempt failed). */
  readonly error?: string;
  /** Whatever the handler returned, as JSON. */
  readonly result?: unknown;
  /** State a restarted process needs to finish visibly, e.g. the progress comment id. */
  readonly progress?: Readonly<Record<string, unknown>>;
}

export interface EnqueueInput<P = unknown> {
  readonly deliveryId: string;
  readonly kind: string;
  readonly supersedeKey?: string;
  readonly group?: string;
  readonly payload: P;
  /** Default: the store's default (3). */
  readonly maxAttempts?: number;
}

export interface EnqueueResult<P = unknown> {
  /** The new job, or the existing one when `duplicate`. */
  readonly job: StoredJob<P>;
  /** The delivery was seen before: nothing was enqueued or superseded. */
  readonly duplicate: boolean;
  /** Older queued jobs with the same supersede key, now 'superseded'. */
  readonly superseded: readonly string[];
  /** Older running jobs with the same key: marked, still running. Abort them. */
  readonly supersededRunning: readonly string[];
}

export interface ClaimOptions {
  /** Sets deadlineAt = now + deadlineMs, for anyone who looks at the row later. */
  readonly deadlineMs?: number;
  /** Groups already at their limit in this pool: their jobs are skipped (they keep their place). */
  readonly excludeGroups?: readonly string[];
}

/**
 * Which claim a transition applies to. Passing the attempt number makes a stale worker
 * (one whose job was recovered and claimed again elsewhere) unable to overwrite the
 * outcome: its transition matches no row and returns false.
 */
export interface ClaimGuard {
  readonly attempt?: number;
}

/** What a heartbeat learned: keep going, stop because superseded, or stop because the job is no longer ours. */
export type HeartbeatResult = 'running' | 'superseded' | 'lost';

export interface RecoverOptions {
  /**
   * Only running jobs whose last heartbeat is older than this count as interrupted.
   * 0 (the default) takes every running job: right when this process is the only one
   * using the store and has just started. Pass a multiple of the pool's heartbeat
   * interval when other processes share the store.
   */
  readonly staleAfterMs?: number;
}

export interface RecoveryResult<P = unknown> {
  /** Back in the queue: attempts < maxAttempts. */
  readonly requeued: readonly StoredJob<P>[];
  /** Interrupted maxAttempts times: failed with the reason. Report them. */
  readonly failed: readonly StoredJob<P>[];
  /** Were superseded while running; now 'superseded'. */
  readonly superseded: readonly StoredJob<P>[];
}

export interface ListOptions {
  readonly status?: JobStatus;
  /** Default 100. Oldest first. */
  readonly limit?: number;
}

export type StoreSignal =
  | { readonly type: 'enqueued' }
  | { readonly type: 'superseded'; readonly id: string; readonly by: string };

/** Counts by status, for /metrics and /healthz. */
export type JobCounts = Readonly<Record<JobStatus, number>>;

export interface JobStore<P = unknown> {
  /**
   * Stores a job durably (it is on disk when the promise resolves). Idempotent on
   * deliveryId. In the same transaction, older jobs with the same supersede key are
   * superseded (queued) or marked (running).
   */
  enqueue(input: EnqueueInput<P>): Promise<EnqueueResult<P>>;
  /** Atomically: the oldest available queued job becomes running, attempts + 1. */
  claimNext(options?: ClaimOptions): Promise<StoredJob<P> | undefined>;
  /** running → succeeded. False when the job was not running (under that attempt). */
  complete(id: string, options?: ClaimGuard & { readonly result?: unknown }): Promise<boolean>;
  /** queued | running → failed with the reason. */
  fail(id: string, error: string, options?: ClaimGuard): Promise<boolean>;
  /**
   * running → queued after a transient failure: the attempt counts, `error` keeps the
   * reason, and the job is not claimed again for `delayMs`. The caller checks
   * attempts < maxAttempts first (else it calls fail).
   */
  retry(
    id: string,
    error: string,
    options: ClaimGuard & { readonly delayMs: number },
  ): Promise<boolean>;
  /** queued | running → superseded. */
  supersede(id: string, options?: ClaimGuard): Promise<boolean>;
  /** running → queued without counting the attempt (a graceful shutdown). */
  release(id: string, options?: ClaimGuard): Promise<boolean>;
  /** Records that the worker still runs the job, and tells it whether to go on. */
  heartbeat(id: string, options?: ClaimGuard): Promise<HeartbeatResult>;
  /** Replaces the job's progress record. False when the job does not exist. */
  setProgress(id: string, progress: Readonly<Record<string, unknown>>): Promise<boolean>;
  get(id: string): Promise<StoredJob<P> | undefined>;
  getByDelivery(deliveryId: string): Promise<StoredJob<P> | undefined>;
  list(options?: ListOptions): Promise<StoredJob<P>[]>;
  /** How many jobs are in each status. */
  counts(): Promise<JobCounts>;
  /** Throws when the backend cannot be reached (for /healthz). */
  ping(): Promise<void>;
  /** Superseded, or running and marked superseded by a newer job. */
  isSuperseded(id: string): Promise<boolean>;
  /** Jobs left running by a process that died: requeued, failed or superseded. */
  recoverInterrupted(options?: RecoverOptions): Promise<RecoveryResult<P>>;
  /**
   * For a store shared by several processes: tells this one at once when another enqueued
   * a job or superseded a running one. Returns the unsubscribe function. Without it a pool
   * learns at its next poll or heartbeat.
   */
  watch?(listener: (signal: StoreSignal) => void): () => void;
  close(): Promise<void>;
}
