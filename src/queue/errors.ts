import { PatchlingError, SystemError, UserError } from '../errors.js';

/**
 * Why a running job's AbortSignal fired. The worker pool decides the job's status from
 * the reason's class, and a handler can branch on it (e.g. to word its progress comment).
 */

/** The job ran past its deadline. It ends 'failed'. */
export class JobDeadlineExceeded extends SystemError {
  constructor(readonly deadlineMs: number) {
    super(`deadline exceeded: the job ran longer than ${formatMs(deadlineMs)}`, {
      retryable: false,
    });
  }
}

/** A newer job with the same supersede key arrived (a newer push). It ends 'superseded'. */
export class JobSuperseded extends PatchlingError {
  readonly retryable = false;

  constructor(readonly supersededBy?: string) {
    super(
      supersededBy === undefined
        ? 'superseded by a newer job'
        : `superseded by a newer job (${supersededBy})`,
    );
  }
}

/** The process is shutting down. The job goes back to the queue. */
export class JobInterrupted extends SystemError {
  constructor() {
    super('interrupted: the worker is shutting down; the job will run again', {
      retryable: true,
    });
  }
}

/**
 * The store no longer lists this attempt as running (another process recovered it).
 * The outcome is no longer ours to record.
 */
export class JobClaimLost extends SystemError {
  constructor() {
    super('claim lost: the job was recovered by another worker', { retryable: false });
  }
}

/** The queue file was written by a newer Patchling, or is not a queue at all. */
export class QueueSchemaError extends UserError {}

function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
