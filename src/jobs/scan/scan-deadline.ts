/** Time kept back from the job's own deadline to upload, compare and report what was found. */
const PUBLISH_RESERVE_MS = 3 * 60_000;

/**
 * When a scan stops hunting and proving: `scan.timeout_minutes` after it starts, but never
 * past the queue's deadline for the job (PATCHLING_JOB_TIMEOUT, 30 minutes by default,
 * shorter than a scan's 60): the queue aborts a job at its deadline, and an aborted scan
 * publishes nothing, while a scan that runs out of its own time keeps what it found and
 * says what it did not cover. So the scan's deadline comes a reserve before the job's
 * (at most half the time left, for short job timeouts).
 */
export function scanDeadline(options: {
  readonly startedAt: number;
  readonly timeoutMinutes: number;
  readonly jobDeadlineAt?: number | undefined;
}): number {
  const own = options.startedAt + options.timeoutMinutes * 60_000;
  if (options.jobDeadlineAt === undefined) return own;
  const left = Math.max(0, options.jobDeadlineAt - options.startedAt);
  const reserve = Math.min(PUBLISH_RESERVE_MS, left / 2);
  return Math.min(own, options.jobDeadlineAt - reserve);
}

/**
 * When fixes stop starting work: `reserveMs` (the longest a fix's proof can take) before
 * the scan's deadline, so the proof ends by it; when less is left, half of what is left,
 * so a short job timeout still leaves fixes some time (a proof rarely takes its worst case).
 */
export function fixDeadline(scanDeadlineAt: number, now: number, reserveMs: number): number {
  const left = Math.max(0, scanDeadlineAt - now);
  return scanDeadlineAt - Math.min(reserveMs, left / 2);
}
