import { describeError } from '../errors.js';
import { JobClaimLost, JobDeadlineExceeded, JobInterrupted, JobSuperseded } from './errors.js';
import type { FailureCause } from './job-events.js';
import type { StoredJob } from './types.js';

export type JobHandler<P = unknown> = (job: StoredJob<P>, signal: AbortSignal) => Promise<unknown>;

/** What should become of a job, decided once. */
export type JobOutcome =
  | { readonly kind: 'succeeded'; readonly result: unknown }
  | {
      readonly kind: 'failed';
      readonly error: string;
      readonly cause: FailureCause;
      /** The handler threw an error that says a later attempt may succeed. */
      readonly retryable?: boolean;
    }
  | { readonly kind: 'superseded' }
  | { readonly kind: 'released' }
  | { readonly kind: 'lost' };

export interface JobExecution {
  readonly controller: AbortController;
  /**
   * Decided by whichever comes first: the handler settling, or the signal firing (at
   * the deadline, or through abort()). A handler that ignores its signal cannot hold the
   * outcome back.
   */
  readonly outcome: Promise<JobOutcome>;
  /** When the handler really returned; it may be later than the outcome. */
  readonly settled: Promise<void>;
}

/**
 * Runs one claimed job under an AbortSignal that fires with JobDeadlineExceeded after
 * deadlineMs. The timer is cleared as soon as the outcome is known.
 */
export function executeJob<P>(
  job: StoredJob<P>,
  run: JobHandler<P>,
  deadlineMs: number,
  isRetryable: (error: unknown) => boolean = hasRetryableFlag,
): JobExecution {
  const controller = new AbortController();
  const { signal } = controller;
  const timer = setTimeout(() => controller.abort(new JobDeadlineExceeded(deadlineMs)), deadlineMs);

  // Promise.resolve().then turns a synchronous throw into a rejection.
  const handler = Promise.resolve().then(() => run(job, signal));
  const settled = handler.then(
    () => undefined,
    () => undefined,
  );
  const byHandler = handler.then(
    (result): JobOutcome => ({ kind: 'succeeded', result }),
    (error: unknown): JobOutcome =>
      signal.aborted
        ? outcomeOfAbort(signal.reason)
        : {
            kind: 'failed',
            error: describeError(error),
            cause: 'error',
            retryable: isRetryable(error),
          },
  );
  // Abort listeners run synchronously inside abort(), so this settles before any
  // rejection the handler raises in answer to the signal.
  const bySignal = new Promise<JobOutcome>((resolve) => {
    signal.addEventListener('abort', () => resolve(outcomeOfAbort(signal.reason)), {
      once: true,
    });
  });
  const outcome = Promise.race([byHandler, bySignal]).finally(() => clearTimeout(timer));
  return { controller, outcome, settled };
}

/** The reason a signal fired decides the job's status. */
export function outcomeOfAbort(reason: unknown): JobOutcome {
  if (reason instanceof JobSuperseded) return { kind: 'superseded' };
  if (reason instanceof JobInterrupted) return { kind: 'released' };
  if (reason instanceof JobClaimLost) return { kind: 'lost' };
  if (reason instanceof JobDeadlineExceeded) {
    return { kind: 'failed', error: reason.message, cause: 'deadline' };
  }
  return { kind: 'failed', error: describeError(reason), cause: 'aborted' };
}

/**
 * The error hierarchy's flag (src/errors.ts: every PatchlingError says whether a retry may
 * help), on the error or on any error it wraps.
 */
export function hasRetryableFlag(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if ((current as { retryable?: unknown }).retryable === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
