import { SystemError } from '../errors.js';
import { RateLimitedError, TransientModelError } from './errors.js';
import type { ModelEvent } from './types.js';

export interface RetryPolicy {
  /** Retries after 5xx, network faults, stalls and cut streams. */
  readonly maxTransientRetries: number;
  /** Total time one turn may spend waiting out rate limits. */
  readonly rateLimitBudgetMs: number;
  /** First backoff step; doubles each retry. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTransientRetries: 5,
  rateLimitBudgetMs: 10 * 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

/** Counters carried from one failed attempt to the next. */
export interface RetryState {
  readonly transientRetries: number;
  readonly rateLimitWaitedMs: number;
  /** The attempt that just failed (1-based). */
  readonly attempt: number;
}

export type RetryDecision =
  | {
      readonly retry: true;
      readonly delayMs: number;
      readonly event: Extract<ModelEvent, { type: 'retry' }>;
    }
  | { readonly retry: false; readonly error: Error };

/** Giving up after retries: says how long it tried, keeps the last failure as cause. */
export class RetriesExhaustedError extends SystemError {
  constructor(
    message: string,
    readonly last: Error,
  ) {
    super(message, { cause: last, retryable: false });
  }
}

/**
 * One decision per failure: retry after how long, or give up with which error. Rate
 * limits wait as long as the provider asks, else back off, within a time budget; other
 * transient faults back off within a count; everything else fails at once.
 */
export function decideRetry(
  error: Error,
  state: RetryState,
  policy: RetryPolicy,
  clock: { now(): number; random(): number },
  deadlineAt: number | undefined,
): RetryDecision {
  const nextAttempt = state.attempt + 1;

  if (error instanceof RateLimitedError) {
    const remaining = policy.rateLimitBudgetMs - state.rateLimitWaitedMs;
    let delayMs: number;
    let source: 'retry-after' | 'message' | 'backoff';
    if (error.hint) {
      ({ delayMs, source } = error.hint);
      if (delayMs > remaining) {
        return giveUp(
          error,
          `${error.message} — the provider asks to wait ${formatMs(delayMs)}, beyond the rate-limit budget (${formatMs(remaining)} left of ${formatMs(policy.rateLimitBudgetMs)})`,
        );
      }
    } else {
      if (remaining <= 0) {
        return giveUp(
          error,
          `${error.message} — still rate limited after ${state.attempt} attempts and ${formatMs(state.rateLimitWaitedMs)} of waiting (budget ${formatMs(policy.rateLimitBudgetMs)})`,
        );
      }
      delayMs = Math.min(backoff(state.attempt, policy, clock.random()), remaining);
      source = 'backoff';
    }
    const pastDeadline = deadlineCheck(error, delayMs, clock.now(), deadlineAt);
    if (pastDeadline) return pastDeadline;
    return {
      retry: true,
      delayMs,
      event: retryEvent(
        'rate_limit',
        'rate limited by provider',
        delayMs,
        nextAttempt,
        source,
        error,
      ),
    };
  }

  if (error instanceof TransientModelError) {
    if (state.transientRetries >= policy.maxTransientRetries) {
      return giveUp(error, `${error.message} — gave up after ${state.attempt} attempts`);
    }
    const delayMs = backoff(state.transientRetries + 1, policy, clock.random());
    const pastDeadline = deadlineCheck(error, delayMs, clock.now(), deadlineAt);
    if (pastDeadline) return pastDeadline;
    return {
      retry: true,
      delayMs,
      event: retryEvent(
        'transient',
        TRANSIENT_REASONS[error.kind],
        delayMs,
        nextAttempt,
        'backoff',
        error,
      ),
    };
  }

  return { retry: false, error };
}

const TRANSIENT_REASONS: Record<TransientModelError['kind'], string> = {
  server: 'provider error',
  network: 'connection failed',
  stall: 'stream stalled',
  truncated: 'stream cut short',
  protocol: 'unreadable stream',
};

/** Exponential, with equal jitter: half the step fixed, half random, so clients spread out. */
function backoff(step: number, policy: RetryPolicy, random: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, step - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random);
}

function deadlineCheck(
  error: Error,
  delayMs: number,
  now: number,
  deadlineAt: number | undefined,
): RetryDecision | undefined {
  if (deadlineAt === undefined || now + delayMs < deadlineAt) return undefined;
  return giveUp(
    error,
    `${error.message} — waiting ${formatMs(delayMs)} would pass the run's deadline`,
  );
}

function giveUp(last: Error, message: string): RetryDecision {
  return { retry: false, error: new RetriesExhaustedError(message, last) };
}

function retryEvent(
  kind: 'rate_limit' | 'transient',
  reason: string,
  delayMs: number,
  attempt: number,
  delaySource: 'retry-after' | 'message' | 'backoff',
  error: Error,
): Extract<ModelEvent, { type: 'retry' }> {
  return {
    type: 'retry',
    kind,
    reason,
    delayMs,
    attempt,
    delaySource,
    message: `${reason}, retrying in ${formatMs(delayMs)}, attempt ${attempt} (${error.message})`,
  };
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
