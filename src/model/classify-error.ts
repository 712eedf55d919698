import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import {
  ContextWindowExceeded,
  ProviderRejectedError,
  QuotaExhaustedError,
  RateLimitedError,
  RequestTooLargeError,
  TransientModelError,
} from './errors.js';
import {
  isContextWindowMessage,
  namesRequestContent,
  namesRequestSize,
} from './provider-error-wordings.js';
import { parseRetryHint } from './retry-hints.js';
import { PatchlingError } from '../errors.js';

/**
 * A failure as the provider described it, wherever it arrived: an HTTP error status, an
 * error object inside a stream that had started with 200 (Chat's `data: {"error": …}`),
 * or a Responses `error` / `response.failed` event.
 */
export interface ProviderFailure {
  /** The HTTP status; undefined when the failure came inside a stream. */
  readonly status?: number | undefined;
  /**
   * The `code` field. Providers disagree on its type: OpenAI sends a string
   * ("context_length_exceeded"), llama-server and vLLM the HTTP status as a number (400).
   */
  readonly code?: string | number | null | undefined;
  /** The `type` field: llama-server puts the kind here ("exceed_context_size_error"). */
  readonly type?: string | null | undefined;
  readonly message: string;
}

const CONTEXT_KINDS = new Set([
  'context_length_exceeded',
  'string_above_max_length',
  'model_context_window_exceeded',
  // llama.cpp's llama-server (tools/server/server-common: ERROR_TYPE_EXCEED_CONTEXT_SIZE).
  'exceed_context_size_error',
]);
const QUOTA_KINDS = new Set(['insufficient_quota', 'billing_hard_limit_reached']);
const RATE_LIMIT_KINDS = new Set([
  'rate_limit_exceeded',
  'rate_limit',
  'rate_limit_error',
  'resource_exhausted',
]);
const TRANSIENT_KINDS = new Set([
  'server_error',
  'internal_error',
  'internal_server_error',
  'server_is_overloaded',
  'overloaded_error',
  'service_unavailable',
  'unavailable',
  'timeout',
  'vector_store_timeout',
]);

/**
 * Turns whatever the SDK threw into one of the model errors, so that one policy decides
 * what to do. Anything already classified passes through unchanged.
 */
export function classifyModelError(
  error: unknown,
  provider: string,
  now: number,
  /** The endpoint, named in connection failures so a wrong base URL is plain to see. */
  baseURL?: string,
): Error {
  if (error instanceof PatchlingError) return error;
  const at = baseURL ? ` at ${endpointOf(baseURL)}` : '';

  if (error instanceof APIConnectionTimeoutError) {
    return new TransientModelError(`${provider}${at} did not answer in time`, 'network', {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new TransientModelError(
      `could not reach ${provider}${at}: ${describeCause(error)}`,
      'network',
      { cause: error },
    );
  }
  if (error instanceof APIError) {
    const body = error.error as { code?: unknown; type?: unknown } | undefined;
    return classifyProviderFailure(
      {
        status: error.status,
        code: asCode(body && typeof body === 'object' ? body.code : error.code),
        type: asString(body && typeof body === 'object' ? body.type : error.type),
        message: providerMessage(error),
      },
      provider,
      now,
      { headers: error.headers, raw: rawText(error), cause: error },
    );
  }
  if (error instanceof SyntaxError) {
    // The SDK parses each SSE event as it arrives; a cut connection leaves half an event.
    return new TransientModelError(
      `${provider} sent a malformed stream event (${error.message})`,
      'truncated',
      { cause: error },
    );
  }
  if (isNetworkError(error)) {
    return new TransientModelError(
      `connection to ${provider}${at} failed: ${String(error)}`,
      'network',
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * One decision for every failure the provider describes, by its status, its `code` and
 * its `type` together (a numeric code must not hide the type), then by its wording.
 * Order matters: quota before rate limit (both 429), the request's own fault before
 * the 5xx rule (llama-server answers 500 to arguments it cannot parse).
 */
function classifyProviderFailure(
  failure: ProviderFailure,
  provider: string,
  now: number,
  extra: {
    headers?: { get(name: string): string | null } | undefined;
    raw?: string;
    cause?: unknown;
  } = {},
): Error {
  const { message } = failure;
  const numericCode = typeof failure.code === 'number' ? failure.code : undefined;
  // Inside a stream there is no status; vLLM and llama-server put it in `code`.
  const status = failure.status ?? numericCode;
  const kinds = [typeof failure.code === 'string' ? failure.code : undefined, failure.type]
    .filter((kind): kind is string => typeof kind === 'string' && kind !== '')
    .map((kind) => kind.toLowerCase());
  const is = (set: Set<string>) => kinds.some((kind) => set.has(kind));
  const options = extra.cause === undefined ? {} : { cause: extra.cause };
  const label = [status, kinds[0]].filter((part) => part !== undefined).join(' ');
  const where = failure.status === undefined ? ' mid-stream' : '';

  if (is(QUOTA_KINDS)) {
    return new QuotaExhaustedError(
      `quota exhausted at ${provider}: ${message} (not retried: waiting will not help)`,
      options,
    );
  }
  if (status === 429 || is(RATE_LIMIT_KINDS)) {
    return new RateLimitedError(
      `rate limited by ${provider}: ${message}`,
      parseRetryHint(extra.headers, extra.raw ?? message, now),
      options,
    );
  }
  // Before the context check: "the image exceeds the maximum size" is about bytes, not tokens.
  if ((status === 400 || status === 413) && namesRequestSize(message) && !is(CONTEXT_KINDS)) {
    return new RequestTooLargeError(
      `the request is too large for ${provider} (${status}): ${summarize(message)}`,
      options,
    );
  }
  if (is(CONTEXT_KINDS) || isContextWindowMessage(message, status)) {
    return new ContextWindowExceeded(
      `the conversation exceeds the model's context window: ${message}`,
      options,
    );
  }
  if (status === 413) {
    return new RequestTooLargeError(
      `the request is too large for ${provider} (413): ${summarize(message)}`,
      options,
    );
  }
  if (namesRequestContent(message)) {
    return new ProviderRejectedError(
      `${provider} rejected the request${where} (${label}): ${message} (not retried: the request itself is at fault)`,
      failure.status,
      kinds[0],
      options,
    );
  }
  if (
    (status !== undefined && (status >= 500 || status === 408 || status === 409)) ||
    is(TRANSIENT_KINDS) ||
    // A stream that fails with nothing to judge it by is the server's fault, not ours.
    (failure.status === undefined && status === undefined && kinds.length === 0)
  ) {
    const prefix =
      failure.status === undefined
        ? `${provider} failed mid-stream`
        : `${provider} answered ${failure.status}`;
    return new TransientModelError(`${prefix}: ${message}`, 'server', options);
  }
  return new ProviderRejectedError(
    `${provider} rejected the request${where} (${label}): ${message}`,
    failure.status,
    kinds[0],
    options,
  );
}

/**
 * A failure the stream itself reported after its 200 (Chat's bare error chunk, Responses
 * `error` and `response.failed` events): no status, no headers to judge it by.
 */
export function classifyStreamFailure(
  failure: Omit<ProviderFailure, 'status'>,
  provider: string,
  now: number,
): Error {
  return classifyProviderFailure({ ...failure, status: undefined }, provider, now);
}

function asCode(value: unknown): string | number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The provider's words, without the SDK's "429 " prefix. LM Studio sends the error as a
 * bare string (`{"error": "Trying to keep …"}`).
 */
function providerMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | string | undefined;
  if (typeof body === 'string') return body;
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

/**
 * A network failure, also when fetch wraps it: a connection lost mid-body surfaces as
 * undici's `TypeError: terminated` whose cause carries the socket's code.
 */
function isNetworkError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 3; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The URL without credentials or query (neither belongs in a message). */
function endpointOf(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(an invalid base URL)';
  }
}
