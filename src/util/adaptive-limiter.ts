/**
 * Runs tasks with at most `limit` in flight, where the limit drops while a shared resource
 * (the model provider) says it is overloaded and climbs back once it has been quiet.
 *
 * AIMD, as TCP does it: each rate-limit report halves the limit (never below 1) and marks
 * the provider busy until its wait is over plus `calmMs`; each task that ends after that
 * raises the limit by one, up to `max`. Tasks already running are not stopped (their own
 * retry waits out the limit); only new ones wait for a slot. Tasks start in the order
 * they were given.
 */
export interface AdaptiveLimiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** The provider asked to wait `delayMs`: fewer tasks at once for a while. */
  rateLimited(delayMs: number): void;
  /** The current bound. */
  readonly limit: number;
  /** The most tasks that were ever running at once (for tests and benches). */
  readonly peak: number;
}

export interface AdaptiveLimiterOptions {
  readonly max: number;
  /** Quiet time after a wait before the limit climbs again. Default 10 s. */
  readonly calmMs?: number;
  readonly now?: () => number;
  /** Each change of the limit, e.g. to log it. */
  readonly onLimit?: (limit: number) => void;
}

export const DEFAULT_CALM_MS = 10_000;

export function createAdaptiveLimiter(options: AdaptiveLimiterOptions): AdaptiveLimiter {
  const max = Math.max(1, Math.floor(options.max));
  const calmMs = options.calmMs ?? DEFAULT_CALM_MS;
  const now = options.now ?? Date.now;
  let limit = max;
  let active = 0;
  let peak = 0;
  let busyUntil = -Infinity;
  const waiting: (() => void)[] = [];

  const setLimit = (next: number) => {
    if (next === limit) return;
    limit = next;
    options.onLimit?.(limit);
  };
  const pump = () => {
    while (active < limit && waiting.length > 0) {
      active++;
      peak = Math.max(peak, active);
      waiting.shift()?.();
    }
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        pump();
      });
      try {
        return await task();
      } finally {
        active--;
        if (now() >= busyUntil && limit < max) setLimit(limit + 1);
        pump();
      }
    },
    rateLimited(delayMs: number) {
      busyUntil = Math.max(busyUntil, now() + Math.max(0, delayMs) + calmMs);
      setLimit(Math.max(1, Math.ceil(limit / 2)));
    },
    get limit() {
      return limit;
    },
    get peak() {
      return peak;
    },
  };
}
