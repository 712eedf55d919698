/**
 * Work raced against a timer. Sharp's work cannot be cancelled from JavaScript, so the
 * caller gets two promises: `result` settles at the deadline at the latest, while
 * `settled` tells when the work really finished, for callers that bound how much work
 * runs at once (a timed-out decode still holds its memory until it ends).
 */
export interface Deadline<T> {
  readonly result: Promise<T>;
  readonly settled: Promise<void>;
}

export function withDeadline<T>(
  work: () => Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Deadline<T> {
  // Promise.resolve().then turns a synchronous throw into a rejection.
  const running = Promise.resolve().then(work);
  const settled = running.then(
    () => undefined,
    () => undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  const result = Promise.race([running, expired]).finally(() => clearTimeout(timer));
  return { result, settled };
}
