import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { HelpJob, Job, ReviewJob } from '../../src/jobs/job.js';
import { jobEnqueueInput } from '../../src/jobs/job-enqueue-input.js';
import { SqliteJobStore, type SqliteJobStoreOptions } from '../../src/queue/sqlite-job-store.js';

/** A review of `owner/repo#pullNumber` at `headSha`. */
export function reviewJob(pullNumber: number, headSha: string): ReviewJob {
  return {
    kind: 'review',
    repo: { owner: 'octo', repo: 'widgets', installationId: 7 },
    pullNumber,
    headSha,
    headRef: 'feature',
    baseRef: 'main',
    headRepo: 'octo/widgets',
    isFork: false,
    requester: { login: 'alice', type: 'User' },
    trigger: 'pull_request',
  };
}

/** The queue's plain-data input for a Job (kind, supersede key, group), as the App makes it. */
export const jobInput = jobEnqueueInput;

/** A job without a supersede key. */
export function helpJob(issueNumber: number): HelpJob {
  return {
    kind: 'help',
    repo: { owner: 'octo', repo: 'widgets' },
    issueNumber,
    requester: { login: 'alice', type: 'User' },
    commentId: issueNumber * 10,
  };
}

/**
 * Temp directories and stores for one test file, cleaned up after each test: stores are
 * closed before their directory is removed.
 */
export function useTempStores() {
  const dirs: string[] = [];
  const stores: SqliteJobStore<Job>[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    async dbPath(): Promise<string> {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-queue-'));
      dirs.push(dir);
      return path.join(dir, 'state', 'queue.sqlite');
    },
    open(dbPath: string, options: Omit<SqliteJobStoreOptions, 'path'> = {}): SqliteJobStore<Job> {
      const store = SqliteJobStore.open<Job>({ path: dbPath, ...options });
      stores.push(store);
      return store;
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** A promise with its resolve exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Polls `check` until it returns true, or fails after timeoutMs. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
