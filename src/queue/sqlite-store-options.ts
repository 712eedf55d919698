import path from 'node:path';
import type { SqliteSynchronous } from './sqlite-schema.js';

/** The SQLite store's options and their defaults (the store: sqlite-job-store.ts). */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface SqliteJobStoreOptions {
  /** The database file; its directory is created (0700). See defaultQueuePath. */
  readonly path: string;
  /** Clock for every timestamp the store writes. Default Date.now. */
  readonly now?: () => number;
  /** Job ids. Default crypto.randomUUID. */
  readonly newId?: () => string;
  readonly defaultMaxAttempts?: number;
  /** How long a write waits for another connection's lock. Default 5 s. */
  readonly busyTimeoutMs?: number;
  /**
   * Default 'FULL_OFF_THREAD': an enqueued job is on disk before enqueue resolves (so a
   * webhook is never acknowledged for a job a power cut could lose), and the fsync runs on
   * the thread pool, not the event loop (sqlite-wal-sync.ts). FULL: the same guarantee
   * with SQLite's own fsync inside each commit, blocking the process. NORMAL trades the
   * guarantee for speed on slow disks (a process crash loses nothing, a power cut may).
   */
  readonly synchronous?: SqliteSynchronous | 'FULL_OFF_THREAD';
  /**
   * Whether this connection's commits run SQLite's automatic WAL checkpoint (every 1,000
   * pages, with its fsyncs, inside the commit that crosses the line). Default true. The
   * App's webhook intake opens its connection with false, so no acknowledgement waits for
   * a checkpoint: the main thread's connection (claims, heartbeats, outcomes) runs them.
   */
  readonly autoCheckpoint?: boolean;
}

/** Where the queue lives by default: beside the run logs, in Patchling's state directory. */
export function defaultQueuePath(stateDir: string): string {
  return path.join(stateDir, 'queue.sqlite');
}
