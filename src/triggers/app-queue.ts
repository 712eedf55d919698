import type { Job } from '../jobs/job.js';
import { BullmqJobStore } from '../queue/bullmq-job-store.js';
import { hasRetryableFlag } from '../queue/execute-job.js';
import { SqliteJobStore, defaultQueuePath } from '../queue/sqlite-job-store.js';
import type { JobStore } from '../queue/types.js';
import { isGitHubRequestFailure } from '../github/errors.js';

export type QueueBackend = 'sqlite' | 'redis';

export interface AppQueue {
  readonly backend: QueueBackend;
  readonly store: JobStore<Job>;
  /** True when other processes share the store: recovery then runs periodically. */
  readonly shared: boolean;
}

/**
 * The App's job store: BullMQ on Redis when PATCHLING_QUEUE_URL is set (several instances
 * on one Redis), else the embedded SQLite file in the state directory.
 */
export async function openAppQueue(options: {
  readonly queueUrl: string | undefined;
  readonly stateDir: string;
  /** Redis store: a dead worker's job is taken over after about this long (lock + check). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}): Promise<AppQueue> {
  if (options.queueUrl) {
    const store = await BullmqJobStore.open<Job>({
      url: options.queueUrl,
      ...(options.lockDurationMs === undefined ? {} : { lockDurationMs: options.lockDurationMs }),
      ...(options.stalledIntervalMs === undefined
        ? {}
        : { stalledIntervalMs: options.stalledIntervalMs }),
    });
    return { backend: 'redis', store, shared: true };
  }
  const store = SqliteJobStore.open<Job>({ path: defaultQueuePath(options.stateDir) });
  return { backend: 'sqlite', store, shared: false };
}

/**
 * Whether a job's failure is transient, so the queue retries it with backoff: the error's
 * own flag (src/errors.ts), or a GitHub answer that says "later": a 5xx, a 429, a
 * secondary rate limit (403 with retry-after or that message), or octokit's 500 for a
 * request that never got an answer (a network error).
 */
export function isTransientJobError(error: unknown): boolean {
  if (hasRetryableFlag(error)) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (isGitHubRequestFailure(current)) {
      const { status, message } = current;
      if (status >= 500 || status === 429) return true;
      const retryAfter = current.response?.headers['retry-after'];
      if (status === 403 && (retryAfter !== undefined || /secondary rate limit/i.test(message)))
        return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
