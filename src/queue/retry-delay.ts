/**
 * The wait before a transient failure's next attempt: exponential from 30 s (30 s, 60 s,
 * 120 s, … at most 15 min), with "equal jitter" (half fixed, half random) so jobs that
 * failed together on one GitHub outage do not all come back in the same second.
 */
export function retryDelayMs(
  attempt: number,
  options: { baseMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const base = options.baseMs ?? 30_000;
  const max = options.maxMs ?? 15 * 60_000;
  const exponential = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
