import { describe, expect, it } from 'vitest';
import {
  RateLimitedError,
  TransientModelError,
  QuotaExhaustedError,
} from '../../src/model/errors.js';
import {
  decideRetry,
  RetriesExhaustedError,
  type RetryPolicy,
} from '../../src/model/retry-policy.js';

const policy: RetryPolicy = {
  maxTransientRetries: 3,
  rateLimitBudgetMs: 10_000,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
};
const clock = (random = 0.5, now = 0) => ({ now: () => now, random: () => random });
const fresh = { attempt: 1, transientRetries: 0, rateLimitWaitedMs: 0 };

describe('decideRetry', () => {
  it('waits exactly what the provider asked for', () => {
    const error = new RateLimitedError('rate limited', { delayMs: 3646, source: 'message' });
    const decision = decideRetry(error, fresh, policy, clock(), undefined);
    expect(decision).toMatchObject({ retry: true, delayMs: 3646 });
    if (decision.retry) {
      expect(decision.event).toMatchObject({
        kind: 'rate_limit',
        delaySource: 'message',
        attempt: 2,
      });
      expect(decision.event.message).toBe(
        'rate limited by provider, retrying in 3.6 s, attempt 2 (rate limited)',
      );
    }
  });

  it('backs off exponentially with jitter when there is no hint, clamped to the budget left', () => {
    const error = new RateLimitedError('rate limited', undefined);
    const delays = [1, 2, 3, 4, 5].map((attempt) => {
      const d = decideRetry(error, { ...fresh, attempt }, policy, clock(1), undefined);
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
    const low = decideRetry(error, { ...fresh, attempt: 3 }, policy, clock(0), undefined);
    expect(low.retry && low.delayMs).toBe(2000); // half the step is fixed, half random
    const nearlySpent = decideRetry(
      error,
      { ...fresh, attempt: 4, rateLimitWaitedMs: 9_500 },
      policy,
      clock(1),
      undefined,
    );
    expect(nearlySpent.retry && nearlySpent.delayMs).toBe(500);
  });

  it('gives up on rate limits once the budget is spent, or when the hint exceeds it', () => {
    const spent = decideRetry(
      new RateLimitedError('rate limited', undefined),
      { ...fresh, attempt: 9, rateLimitWaitedMs: 10_000 },
      policy,
      clock(),
      undefined,
    );
    expect(spent.retry).toBe(false);
    if (!spent.retry) {
      expect(spent.error).toBeInstanceOf(RetriesExhaustedError);
      expect(spent.error.message).toMatch(/still rate limited after 9 attempts/);
    }
    const tooLong = decideRetry(
      new RateLimitedError('rate limited', { delayMs: 60_000, source: 'retry-after' }),
      fresh,
      policy,
      clock(),
      undefined,
    );
    expect(tooLong.retry).toBe(false);
    if (!tooLong.retry) expect(tooLong.error.message).toMatch(/beyond the rate-limit budget/);
  });

  it('never waits past the run deadline', () => {
    const decision = decideRetry(
      new RateLimitedError('rate limited', { delayMs: 5000, source: 'retry-after' }),
      fresh,
      policy,
      clock(0.5, 1000),
      4000,
    );
    expect(decision.retry).toBe(false);
    if (!decision.retry) expect(decision.error.message).toMatch(/deadline/);
  });

  it('retries transient faults a bounded number of times', () => {
    const error = new TransientModelError('503', 'server');
    const third = decideRetry(
      error,
      { ...fresh, attempt: 3, transientRetries: 2 },
      policy,
      clock(),
      undefined,
    );
    expect(third.retry).toBe(true);
    const fourth = decideRetry(
      error,
      { ...fresh, attempt: 4, transientRetries: 3 },
      policy,
      clock(),
      undefined,
    );
    expect(fourth.retry).toBe(false);
    if (!fourth.retry) expect(fourth.error.message).toMatch(/gave up after 4 attempts/);
  });

  it('fails at once on anything else', () => {
    const error = new QuotaExhaustedError('quota exhausted');
    expect(decideRetry(error, fresh, policy, clock(), undefined)).toEqual({ retry: false, error });
  });
});
