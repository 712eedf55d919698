import type { StoredJob } from './types.js';

/**
 * What the worker pool reports, for logs and for the code that keeps a job's progress
 * comment true. `job` is the row as it was claimed (status 'running'); the event says
 * what became of it.
 */
export type JobEvent =
  | { readonly type: 'claimed'; readonly job: StoredJob }
  | { readonly type: 'succeeded'; readonly job: StoredJob; readonly durationMs: number }
  | {
      readonly type: 'failed';
      readonly job: StoredJob;
      readonly durationMs: number;
      /** As stored in the job's `error`. */
      readonly error: string;
      /** 'error': the handler threw; 'deadline': it ran too long; 'aborted': abort() with another reason. */
      readonly cause: FailureCause;
    }
  /** A transient failure: back in the queue, claimable again after delayMs. */
  | {
      readonly type: 'retrying';
      readonly job: StoredJob;
      readonly durationMs: number;
      readonly error: string;
      readonly delayMs: number;
    }
  | { readonly type: 'superseded'; readonly job: StoredJob; readonly durationMs: number }
  /** Shutdown: back in the queue, the attempt not counted. */
  | { readonly type: 'released'; readonly job: StoredJob }
  /** The store no longer listed this claim as running; nothing was recorded. */
  | { readonly type: 'lost'; readonly job: StoredJob }
  /** The handler ignored its aborted signal for abortGraceMs; its slot was freed anyway. */
  | { readonly type: 'abandoned'; readonly job: StoredJob; readonly afterMs: number }
  /** A store call failed. A job whose outcome could not be written stays 'running' until recovered. */
  | {
      readonly type: 'store-error';
      readonly operation: string;
      readonly jobId?: string;
      readonly error: unknown;
    };

export type FailureCause = 'error' | 'deadline' | 'aborted';
