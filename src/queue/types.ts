import type { Job, JobKind } from '../jobs/job.js';

/**
 * The durable job store, as an interface: the embedded default is SQLite
 * (sqlite-job-store.ts); a Redis-backed store can implement the same contract (see
 * docs/queue.md). Every method returns a Promise so a networked store fits.
 *
 * Transitions (anything else is refused):
 *   queued  ──claimNext──► running ──complete──► succeeded
 *     │                     │  ├────fail──────► failed
 *     │                     │  ├──supersede───► superseded
 *     │                     │  └───release────► queued   (shutdown; the attempt is not counted)
 *     └──newer job, same supersede key, or supersede──► superseded
 *   running (its process died) ──recoverInterrupted──► queued | failed | superseded
 */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'superseded';

export interface StoredJob {
  readonly id: string;
  /** GitHub's X-GitHub-Delivery (or any id the trigger guarantees unique per event). */
  readonly deliveryId: string;
  readonly kind: JobKind;
  /** Jobs with the same key replace one another (src/jobs/job.ts supersedeKey). */
  readonly supersedeKey?: string;
  readonly payload: Job;
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
  /** Why it failed, in one sentence fit for a user. */
  readonly error?: string;
  /** Whatever the handler returned, as JSON. */
  readonly result?: unknown;
  /** State a restarted process needs to finish visibly, e.g. the progress comment id. */
  readonly progress?: Readonly<Record<string, unknown>>;
}

export interface EnqueueInput {
  readonly deliveryId: string;
  readonly job: Job;
  /** Default: the store's default (3). */
  readonly maxAttempts?: number;
}

export interface EnqueueResult {
  /** The new job, or the existing one when `duplicate`. */
  readonly job: StoredJob;
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

export interface RecoveryResult {
  /** Back in the queue: attempts < maxAttempts. */
  readonly requeued: readonly StoredJob[];
  /** Interrupted maxAttempts times: failed with the reason. Report them. */
  readonly failed: readonly StoredJob[];
  /** Were superseded while running; now 'superseded'. */
  readonly superseded: readonly StoredJob[];
}

export interface ListOptions {
  readonly status?: JobStatus;
  /** Default 100. Oldest first. */
  readonly limit?: number;
}

export interface JobStore {
  /**
   * Stores a job durably (it is on disk when the promise resolves). Idempotent on
   * deliveryId. In the same transaction, older jobs with the same supersede key are
   * superseded (queued) or marked (running).
   */
  enqueue(input: EnqueueInput): Promise<EnqueueResult>;
  /** Atomically: the oldest queued job becomes running, attempts + 1. */
  claimNext(options?: ClaimOptions): Promise<StoredJob | undefined>;
  /** running → succeeded. False when the job was not running (under that attempt). */
  complete(id: string, options?: ClaimGuard & { readonly result?: unknown }): Promise<boolean>;
  /** queued | running → failed with the reason. */
  fail(id: string, error: string, options?: ClaimGuard): Promise<boolean>;
  /** queued | running → superseded. */
  supersede(id: string, options?: ClaimGuard): Promise<boolean>;
  /** running → queued without counting the attempt (a graceful shutdown). */
  release(id: string, options?: ClaimGuard): Promise<boolean>;
  /** Records that the worker still runs the job, and tells it whether to go on. */
  heartbeat(id: string, options?: ClaimGuard): Promise<HeartbeatResult>;
  /** Replaces the job's progress record. False when the job does not exist. */
  setProgress(id: string, progress: Readonly<Record<string, unknown>>): Promise<boolean>;
  get(id: string): Promise<StoredJob | undefined>;
  getByDelivery(deliveryId: string): Promise<StoredJob | undefined>;
  list(options?: ListOptions): Promise<StoredJob[]>;
  /** Superseded, or running and marked superseded by a newer job. */
  isSuperseded(id: string): Promise<boolean>;
  /** Jobs left running by a process that died: requeued, failed or superseded. */
  recoverInterrupted(options?: RecoverOptions): Promise<RecoveryResult>;
  close(): Promise<void>;
}
