import { SystemError, UserError } from '../errors.js';

/**
 * Every way a model request can fail, classified once (classify-error.ts) so the retry
 * policy and the agent loop branch on a kind, never on message text.
 */

/** Where a retry delay came from. */
export type DelaySource = 'retry-after' | 'message';

/** 429: wait (as long as the provider says, when it says) and try again. */
export class RateLimitedError extends SystemError {
  constructor(
    message: string,
    /** The wait the provider asked for, if it said. */
    readonly hint: { readonly delayMs: number; readonly source: DelaySource } | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, retryable: true });
  }
}

/** `protocol`: bytes the reader could not make sense of (quoted in the message). */
export type TransientKind = 'server' | 'network' | 'stall' | 'truncated' | 'protocol';

/** 5xx, a dropped connection, a stalled, cut or unreadable stream: retried with backoff, a bounded number of times. */
export class TransientModelError extends SystemError {
  constructor(
    message: string,
    readonly kind: TransientKind,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, retryable: true });
  }
}

/** The account is out of credit: waiting will not help. */
export class QuotaExhaustedError extends UserError {}

/** The conversation no longer fits: the agent loop answers by compacting. */
export class ContextWindowExceeded extends SystemError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * The request is larger than the provider takes (HTTP 413, often an HTML page from a CDN;
 * a 400 about image count or size; or our own pre-send check of the profile's limits).
 * The agent loop answers by shedding images and old tool output, once.
 */
export class RequestTooLargeError extends UserError {}

/** Any other 4xx: the provider's own message, not retried. */
export class ProviderRejectedError extends UserError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Rejected before sending: the provider profile says the endpoint would answer 400. */
export class UnsupportedRequestError extends UserError {}
