import { describe, expect, it } from 'vitest';
import { RECHECK_WORST_CASE_MS } from '../../../src/jobs/scan/recheck-reproduction.js';
import { fixDeadline, scanDeadline } from '../../../src/jobs/scan/scan-deadline.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 6, 3, 0);

describe('scanDeadline', () => {
  it('is scan.timeout_minutes after the start when the job has no deadline of its own', () => {
    expect(scanDeadline({ startedAt: START, timeoutMinutes: 60 })).toBe(START + 60 * MINUTE);
  });

  it("comes before the queue's deadline for the job, keeping time to publish", () => {
    // PATCHLING_JOB_TIMEOUT 30m, the scan's own 60m: the scan stops 3 minutes early.
    expect(
      scanDeadline({ startedAt: START, timeoutMinutes: 60, jobDeadlineAt: START + 30 * MINUTE }),
    ).toBe(START + 27 * MINUTE);
    // A scan whose own limit comes first keeps it.
    expect(
      scanDeadline({ startedAt: START, timeoutMinutes: 10, jobDeadlineAt: START + 30 * MINUTE }),
    ).toBe(START + 10 * MINUTE);
  });

  it('keeps at most half the time left as the reserve when the job deadline is near', () => {
    expect(
      scanDeadline({ startedAt: START, timeoutMinutes: 60, jobDeadlineAt: START + 4 * MINUTE }),
    ).toBe(START + 2 * MINUTE);
    // Already past it: the deadline is the job's, so the scan stops at once.
    expect(
      scanDeadline({ startedAt: START, timeoutMinutes: 60, jobDeadlineAt: START - MINUTE }),
    ).toBe(START - MINUTE);
  });
});

describe('fixDeadline', () => {
  it("keeps the longest a fix's proof can take before the scan's deadline", () => {
    expect(RECHECK_WORST_CASE_MS).toBe(7 * MINUTE);
    expect(fixDeadline(START + 27 * MINUTE, START, RECHECK_WORST_CASE_MS)).toBe(
      START + 20 * MINUTE,
    );
  });

  it('keeps half of what is left when that is less, and nothing once the deadline passed', () => {
    expect(fixDeadline(START + 60_000, START, RECHECK_WORST_CASE_MS)).toBe(START + 30_000);
    expect(fixDeadline(START - MINUTE, START, RECHECK_WORST_CASE_MS)).toBe(START - MINUTE);
  });
});
