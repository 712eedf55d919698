import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemError } from '../../errors.js';

export interface DirectoryLockOptions {
  /** Give up after this long (0: one try). Default 10 minutes. */
  readonly timeoutMs?: number;
  /** A lock not refreshed for this long is taken over. Default 2 minutes. */
  readonly staleMs?: number;
  readonly signal?: AbortSignal | undefined;
}

const POLL_MS = 100;

/**
 * Runs `use` while holding `lockDir`, a directory created with mkdir (atomic on every
 * local filesystem, across processes as well as within one). The holder refreshes the
 * directory's mtime every third of `staleMs`; a lock whose holder died (its pid is gone
 * on this host) or stopped refreshing is taken over. Returns undefined, without running
 * `use`, when `timeoutMs` is 0 and the lock is held.
 *
 * Hand-written rather than proper-lockfile: it is the same mkdir-and-mtime scheme in
 * forty lines, and the lock is only ever held by Patchling's own processes.
 */
export async function withDirectoryLock<T>(
  lockDir: string,
  use: () => Promise<T>,
  options: DirectoryLockOptions = {},
): Promise<{ value: T } | undefined> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const staleMs = options.staleMs ?? 2 * 60_000;
  const deadline = Date.now() + timeoutMs;
  await mkdir(path.dirname(lockDir), { recursive: true });
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryTake(lockDir)) break;
    if (await isStale(lockDir, staleMs)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (timeoutMs === 0) return undefined;
    if (Date.now() >= deadline) {
      throw new SystemError(`Timed out after ${timeoutMs} ms waiting for the lock ${lockDir}.`, {
        retryable: true,
      });
    }
    await sleep(POLL_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockDir, now, now).catch(() => undefined);
  }, staleMs / 3);
  heartbeat.unref();
  try {
    return { value: await use() };
  } finally {
    clearInterval(heartbeat);
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function tryTake(lockDir: string): Promise<boolean> {
  try {
    await mkdir(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  const owner = { pid: process.pid, host: os.hostname() };
  await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
  return true;
}

async function isStale(lockDir: string, staleMs: number): Promise<boolean> {
  try {
    const { mtimeMs } = await stat(lockDir);
    if (Date.now() - mtimeMs > staleMs) return true;
    const owner = JSON.parse(await readFile(path.join(lockDir, 'owner.json'), 'utf8')) as {
      pid?: unknown;
      host?: unknown;
    };
    if (owner.host !== os.hostname() || typeof owner.pid !== 'number') return false;
    try {
      process.kill(owner.pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    // Gone meanwhile, or its owner file not written yet: not stale, try again.
    return false;
  }
}
