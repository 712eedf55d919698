import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { decideRetry, type RetryPolicy } from './retry-policy.js';
import type { ModelEvent } from './types.js';

export interface RetryRunOptions {
  readonly policy: RetryPolicy;
  readonly clock: { now(): number; random(): number };
  readonly signal?: AbortSignal;
  readonly deadlineAt?: number;
  readonly onEvent?: (event: ModelEvent) => void;
}

/**
 * Runs `attempt` until it succeeds or decideRetry gives up. p-retry owns the loop
 * (attempt numbers, abort, stopping); its own backoff is off (minTimeout 0) because the
 * wait depends on what failed: a provider's Retry-After is not an exponential step.
 * `attempt` must throw classified errors (classify-error.ts).
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryRunOptions,
): Promise<{ value: T; attempts: number }> {
  let attempts = 0;
  let transientRetries = 0;
  let rateLimitWaitedMs = 0;

  const value = await pRetry(
    (attemptNumber) => {
      attempts = attemptNumber;
      return attempt(attemptNumber);
    },
    {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 0,
      signal: options.signal,
      onFailedAttempt: async ({ error, attemptNumber }) => {
        const decision = decideRetry(
          error,
          { attempt: attemptNumber, transientRetries, rateLimitWaitedMs },
          options.policy,
          options.clock,
          options.deadlineAt,
        );
        // Throwing here ends p-retry with this error.
        if (!decision.retry) throw decision.error;
        if (decision.event.kind === 'rate_limit') rateLimitWaitedMs += decision.delayMs;
        else transientRetries += 1;
        options.onEvent?.(decision.event);
        await sleep(decision.delayMs, undefined, { signal: options.signal }).catch(
          (error: unknown) => {
            // Report why the caller stopped us, not the timer's generic AbortError.
            throw options.signal?.aborted ? options.signal.reason : error;
          },
        );
      },
    },
  );
  return { value, attempts };
}
