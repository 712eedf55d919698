import { JobClaimLost, JobInterrupted, JobSuperseded } from './errors.js';
import {
  executeJob,
  hasRetryableFlag,
  type JobExecution,
  type JobHandler,
  type JobOutcome,
} from './execute-job.js';
import type { JobEvent } from './job-events.js';
import { retryDelayMs } from './retry-delay.js';
import type { JobStore, StoredJob } from './types.js';

export interface JobWorkerPoolOptions<P = unknown> {
  readonly store: JobStore<P>;
  /** Runs one job. Honour the signal: it fires at the deadline, on supersede and on shutdown. */
  readonly run: JobHandler<P>;
  /** At most this many jobs run at once in this process. */
  readonly concurrency: number;
  /**
   * At most this many jobs of one group (an installation) run at once in this process, so
   * one busy installation cannot take every slot. Default: no limit beyond concurrency.
   */
  readonly perGroupConcurrency?: number;
  /**
   * Whether a handler's error is transient (the job goes back to the queue with a backoff
   * while attempts remain). Default: the error's (or its cause's) `retryable` flag.
   */
  readonly isRetryable?: (error: unknown) => boolean;
  /** The wait before retry number `attempt` (1 = after the first failure). Default: exponential with jitter from 30 s. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Every job's signal fires with JobDeadlineExceeded after this long. */
  readonly jobDeadlineMs: number;
  readonly onJobEvent?: (event: JobEvent) => void;
  /** For durations in events. Default Date.now. Store timestamps use the store's clock. */
  readonly now?: () => number;
  /** A fallback for a missed notify(), and how other processes' enqueues are seen. Default 5 s. */
  readonly pollIntervalMs?: number;
  /**
   * How often running jobs tell the store they are alive, and learn whether they were
   * superseded from another process or recovered elsewhere. Default 15 s.
   */
  readonly heartbeatMs?: number;
  /** After its signal fires, how long a handler may take to return before its slot is freed anyway. Default 10 s. */
  readonly abortGraceMs?: number;
}

interface Running<P> {
  readonly job: StoredJob<P>;
  readonly execution: JobExecution;
  /** The outcome recorded and the slot freed. */
  readonly done: Promise<void>;
}

type PoolState = 'idle' | 'running' | 'stopping' | 'stopped';

const MAX_TIMER_MS = 2_147_483_647;

/**
 * Claims jobs from a JobStore and runs at most `concurrency` of them at once, each under
 * an AbortSignal with a deadline. Woken by notify() after an enqueue; a slow poll
 * catches what a notify missed. Every claimed job ends in exactly one event and one
 * store transition (or stays 'running' for recoverInterrupted if the store fails).
 */
export class JobWorkerPool<P = unknown> {
  private readonly options: JobWorkerPoolOptions<P>;
  private readonly now: () => number;
  private readonly running = new Map<string, Running<P>>();
  private unwatch: (() => void) | undefined;
  private state: PoolState = 'idle';
  private pumping = false;
  private pumpAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;

  constructor(options: JobWorkerPoolOptions<P>) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, not ${options.concurrency}`);
    }
    if (!(options.jobDeadlineMs > 0 && options.jobDeadlineMs <= MAX_TIMER_MS)) {
      // Beyond 2^31-1 ms, setTimeout fires at once.
      throw new RangeError(
        `jobDeadlineMs must be between 1 and ${MAX_TIMER_MS}, not ${options.jobDeadlineMs}`,
      );
    }
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Starts claiming. Call recoverInterrupted on the store first (see docs/queue.md). */
  start(): void {
    if (this.state !== 'idle') throw new Error(`the worker pool cannot start when ${this.state}`);
    this.state = 'running';
    this.pollTimer = setInterval(() => this.notify(), this.options.pollIntervalMs ?? 5000);
    this.pollTimer.unref();
    this.heartbeatTimer = setInterval(
      () => void this.heartbeat(),
      this.options.heartbeatMs ?? 15_000,
    );
    this.heartbeatTimer.unref();
    // A store shared with other processes says at once what they enqueued or superseded.
    this.unwatch = this.options.store.watch?.((signal) => {
      if (signal.type === 'enqueued') this.notify();
      else this.abort(signal.id, new JobSuperseded(signal.by));
    });
    this.notify();
  }

  /** Jobs running in this process, by group (for metrics and fairness). */
  runningByGroup(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { job } of this.running.values()) {
      if (job.group !== undefined) counts.set(job.group, (counts.get(job.group) ?? 0) + 1);
    }
    return counts;
  }

  /** Something was enqueued (or a slot may be free): claim what fits. */
  notify(): void {
    void this.pump();
  }

  /**
   * Fires the job's signal with `reason` (JobSuperseded for a newer push). The reason's
   * class decides the job's status. False when the job is not running here.
   */
  abort(id: string, reason: Error): boolean {
    const entry = this.running.get(id);
    if (!entry || entry.execution.controller.signal.aborted) return false;
    entry.execution.controller.abort(reason);
    return true;
  }

  /** Ids of the jobs running in this process. */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Stops claiming, lets running jobs finish for up to drainMs, then aborts the rest with
   * JobInterrupted (they go back to the queue) and waits for them to return (each at most
   * abortGraceMs).
   */
  stop(options: { drainMs?: number } = {}): Promise<void> {
    this.stopped ??= this.shutDown(options.drainMs ?? 0);
    return this.stopped;
  }

  private async shutDown(drainMs: number): Promise<void> {
    this.state = 'stopping';
    clearInterval(this.pollTimer);
    this.unwatch?.();
    await waitAtMost(this.allDone(), drainMs);
    for (const id of this.running.keys()) this.abort(id, new JobInterrupted());
    await this.allDone();
    clearInterval(this.heartbeatTimer);
    this.state = 'stopped';
  }

  private allDone(): Promise<void> {
    return Promise.all([...this.running.values()].map((r) => r.done)).then(() => undefined);
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.state === 'running' && this.running.size < this.options.concurrency) {
          const job = await this.claim();
          if (!job) break;
          if (this.state !== 'running') {
            // stop() began while the claim was in flight.
            await this.record(job, { kind: 'released' }, this.now());
            break;
          }
          this.launch(job);
        }
      } while (this.pumpAgain && this.state === 'running');
    } finally {
      this.pumping = false;
    }
  }

  private async claim(): Promise<StoredJob<P> | undefined> {
    const limit = this.options.perGroupConcurrency;
    const excludeGroups =
      limit === undefined
        ? []
        : [...this.runningByGroup()].filter(([, n]) => n >= limit).map(([group]) => group);
    try {
      return await this.options.store.claimNext({
        deadlineMs: this.options.jobDeadlineMs,
        ...(excludeGroups.length > 0 ? { excludeGroups } : {}),
      });
    } catch (error) {
      this.emit({ type: 'store-error', operation: 'claimNext', error });
      return undefined;
    }
  }

  private launch(job: StoredJob<P>): void {
    const startedAt = this.now();
    const execution = executeJob(
      job,
      this.options.run,
      this.options.jobDeadlineMs,
      this.options.isRetryable ?? hasRetryableFlag,
    );
    this.emit({ type: 'claimed', job });
    const done = (async () => {
      try {
        const outcome = await execution.outcome;
        await this.record(job, outcome, startedAt);
        await this.waitForHandler(job, execution);
      } finally {
        this.running.delete(job.id);
        this.notify();
      }
    })();
    this.running.set(job.id, { job, execution, done });
  }

  /** Writes the outcome to the store and reports it. */
  private async record(job: StoredJob<P>, outcome: JobOutcome, startedAt: number): Promise<void> {
    const { store } = this.options;
    const guard = { attempt: job.attempts };
    const durationMs = this.now() - startedAt;
    let written: boolean;
    try {
      switch (outcome.kind) {
        case 'succeeded':
          written = await store.complete(job.id, { ...guard, result: outcome.result });
          if (written) this.emit({ type: 'succeeded', job, durationMs });
          break;
        case 'failed':
          if (outcome.retryable === true && job.attempts < job.maxAttempts) {
            const delayMs = (this.options.retryDelayMs ?? retryDelayMs)(job.attempts);
            written = await store.retry(job.id, outcome.error, { ...guard, delayMs });
            if (written) {
              this.emit({ type: 'retrying', job, durationMs, error: outcome.error, delayMs });
              break;
            }
            // Not retried: superseded meanwhile (or no longer ours); the calls below say which.
            if (await store.supersede(job.id, guard)) {
              written = true;
              this.emit({ type: 'superseded', job, durationMs });
              break;
            }
          }
          written = await store.fail(job.id, failureMessage(job, outcome), guard);
          if (written) {
            this.emit({
              type: 'failed',
              job,
              durationMs,
              error: failureMessage(job, outcome),
              cause: outcome.cause,
            });
          }
          break;
        case 'superseded':
          written = await store.supersede(job.id, guard);
          if (written) this.emit({ type: 'superseded', job, durationMs });
          break;
        case 'released':
          written = await store.release(job.id, guard);
          if (written) this.emit({ type: 'released', job });
          break;
        case 'lost':
          written = false;
          break;
        default: {
          const unhandled: never = outcome;
          throw new Error(`unknown outcome ${JSON.stringify(unhandled)}`);
        }
      }
    } catch (error) {
      this.emit({ type: 'store-error', operation: outcome.kind, jobId: job.id, error });
      return;
    }
    if (!written) this.emit({ type: 'lost', job });
  }

  /** Holds the slot until the handler returns, or abortGraceMs after its signal fired. */
  private async waitForHandler(job: StoredJob<P>, execution: JobExecution): Promise<void> {
    const { signal } = execution.controller;
    if (!signal.aborted) {
      await execution.settled;
      return;
    }
    const graceMs = this.options.abortGraceMs ?? 10_000;
    const returned = await waitAtMost(execution.settled, graceMs);
    if (!returned) this.emit({ type: 'abandoned', job, afterMs: graceMs });
  }

  private async heartbeat(): Promise<void> {
    for (const { job, execution } of [...this.running.values()]) {
      if (execution.controller.signal.aborted) continue;
      try {
        const state = await this.options.store.heartbeat(job.id, { attempt: job.attempts });
        if (state === 'superseded') this.abort(job.id, new JobSuperseded());
        if (state === 'lost') this.abort(job.id, new JobClaimLost());
      } catch (error) {
        this.emit({ type: 'store-error', operation: 'heartbeat', jobId: job.id, error });
      }
    }
  }

  private emit(event: JobEvent): void {
    try {
      this.options.onJobEvent?.(event);
    } catch {
      // A logging callback that throws must not take a job's bookkeeping down with it.
    }
  }
}

/** A transient failure that used up its attempts says so; any other failure is its own reason. */
function failureMessage(
  job: StoredJob<unknown>,
  outcome: Extract<JobOutcome, { kind: 'failed' }>,
): string {
  if (outcome.retryable !== true || job.attempts < 2) return outcome.error;
  return `failed ${job.attempts} times, the last time: ${outcome.error}`;
}

/** True if `promise` settled within ms; the timer never outlives the wait. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
