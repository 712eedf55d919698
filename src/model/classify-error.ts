import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import {
  ContextWindowExceeded,
  ProviderRejectedError,
  QuotaExhaustedError,
  RateLimitedError,
  RequestTooLargeError,
  TransientModelError,
} from './errors.js';
import { parseRetryHint } from './retry-hints.js';
import { PatchlingError } from '../errors.js';

/** A failure the stream itself reported (Responses `error` / `response.failed` events). */
export interface StreamFailure {
  readonly code: string | undefined;
  readonly message: string;
}

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);
const CONTEXT_MESSAGE =
  /maximum context length|context (?:length|window)|too many tokens|prompt is too long|exceeds? the (?:model's )?(?:context|maximum)|input (?:is )?too long|reduce the length of the messages/i;
// OpenAI: "Too many images in request. Max is 500."; Gemini: "Request payload size exceeds
// the limit"; Azure and others: "image ... exceeds the maximum size", "image too large".
const TOO_LARGE_MESSAGE =
  /too many images|image(?:s)? (?:is |are )?too (?:large|big)|images? (?:size )?exceeds?|(?:payload|request|body) (?:size )?(?:is )?(?:too large|exceeds)|maximum (?:number of )?images|entity too large/i;
const QUOTA_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached']);
const TRANSIENT_STREAM_CODES = new Set(['server_error', 'internal_error', 'server_is_overloaded']);
const RATE_LIMIT_CODES = new Set(['rate_limit_exceeded', 'rate_limit', 'resource_exhausted']);

/**
 * Turns whatever the SDK threw into one of the model errors, so that one policy decides
 * what to do. Anything already classified passes through unchanged.
 */
export function classifyModelError(error: unknown, provider: string, now: number): Error {
  if (error instanceof PatchlingError) return error;

  if (error instanceof APIConnectionTimeoutError) {
    return new TransientModelError(`${provider} did not answer in time`, 'network', {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new TransientModelError(
      `could not reach ${provider}: ${describeCause(error)}`,
      'network',
      { cause: error },
    );
  }
  if (error instanceof APIError) {
    return classifyApiError(error, provider, now);
  }
  if (error instanceof SyntaxError) {
    // The SDK parses each SSE event as it arrives; a cut connection leaves half an event.
    return new TransientModelError(`${provider} sent a malformed stream event`, 'truncated', {
      cause: error,
    });
  }
  if (isNetworkError(error)) {
    return new TransientModelError(
      `connection to ${provider} failed: ${String(error)}`,
      'network',
      {
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function classifyApiError(error: APIError, provider: string, now: number): Error {
  const status = error.status;
  const code = error.code ?? error.type ?? undefined;
  const message = providerMessage(error);

  if (status === undefined) {
    // An error event inside a stream that had already started: judge by its code.
    return classifyStreamFailure({ code, message }, provider, now, error.headers);
  }
  if (status === 429) {
    if (code !== undefined && QUOTA_CODES.has(code)) {
      return new QuotaExhaustedError(
        `quota exhausted at ${provider}: ${message} (not retried: waiting will not help)`,
        { cause: error },
      );
    }
    return new RateLimitedError(
      `rate limited by ${provider}: ${message}`,
      parseRetryHint(error.headers, rawText(error), now),
      { cause: error },
    );
  }
  // Before the context check: "the image exceeds the maximum size" is about bytes, not tokens.
  const namesSize = (status === 400 || status === 413) && TOO_LARGE_MESSAGE.test(message);
  if (namesSize && !(code !== undefined && CONTEXT_CODES.has(code))) {
    return new RequestTooLargeError(
      `the request is too large for ${provider} (${status}): ${summarize(message)}`,
      { cause: error },
    );
  }
  if (isContextWindowError(status, code, message)) {
    return new ContextWindowExceeded(
      `the conversation exceeds the model's context window: ${message}`,
      {
        cause: error,
      },
    );
  }
  if (status === 413) {
    return new RequestTooLargeError(
      `the request is too large for ${provider} (413): ${summarize(message)}`,
      { cause: error },
    );
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new TransientModelError(`${provider} answered ${status}: ${message}`, 'server', {
      cause: error,
    });
  }
  return new ProviderRejectedError(
    `${provider} rejected the request (${status}${code ? ` ${code}` : ''}): ${message}`,
    status,
    code,
    { cause: error },
  );
}

export function classifyStreamFailure(
  failure: StreamFailure,
  provider: string,
  now: number,
  headers?: { get(name: string): string | null },
): Error {
  const { code, message } = failure;
  if (code !== undefined && QUOTA_CODES.has(code)) {
    return new QuotaExhaustedError(`quota exhausted at ${provider}: ${message}`);
  }
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) {
    return new RateLimitedError(
      `rate limited by ${provider}: ${message}`,
      parseRetryHint(headers, message, now),
    );
  }
  if (isContextWindowError(400, code, message)) {
    return new ContextWindowExceeded(
      `the conversation exceeds the model's context window: ${message}`,
    );
  }
  if (code === undefined || TRANSIENT_STREAM_CODES.has(code)) {
    return new TransientModelError(`${provider} failed mid-stream: ${message}`, 'server');
  }
  return new ProviderRejectedError(
    `${provider} rejected the request (${code}): ${message}`,
    undefined,
    code,
  );
}

function isContextWindowError(status: number, code: string | undefined, message: string): boolean {
  if (code !== undefined && CONTEXT_CODES.has(code)) return true;
  return (status === 400 || status === 413) && CONTEXT_MESSAGE.test(message);
}

/** The provider's words, without the SDK's "429 " prefix. */
function providerMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string') return body.message;
  return error.message.replace(/^\d{3} /, '');
}

/** An HTML error page says nothing useful past its title: keep the text short and flat. */
function summarize(message: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(message)?.[1];
  const text = (title ?? message.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(no message)';
}

/** Everything the provider said, for hints hidden in nested fields (Gemini's retryDelay). */
function rawText(error: APIError): string {
  try {
    return `${error.message} ${JSON.stringify(error.error ?? null)}`;
  } catch {
    return error.message;
  }
}

function describeCause(error: Error): string {
  const cause = error.cause as (Error & { code?: string; cause?: unknown }) | undefined;
  const inner = cause?.cause as (Error & { code?: string }) | undefined;
  const code = inner?.code ?? cause?.code;
  const detail = inner?.message ?? cause?.message ?? error.message;
  return code && !detail.includes(code) ? `${code} ${detail}` : detail;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}
