import { parseDuration } from '../util/duration.js';
import type { DelaySource } from './errors.js';

/** Response headers, as a lookup that ignores case (the SDK's Headers object fits). */
export interface HeaderLookup {
  get(name: string): string | null;
}

export interface RetryHint {
  readonly delayMs: number;
  readonly source: DelaySource;
}

/**
 * The wait a 429 asks for, from (in order) `retry-after-ms`, `retry-after` (seconds or an
 * HTTP date), the `x-ratelimit-reset-*` headers of the exhausted limit, and finally the
 * message text ("Please try again in 3.646s", "in 20ms", Gemini's "retryDelay": "25s").
 * Codex CLI reads only Retry-After and gives up on the rest; these are all real shapes.
 */
export function parseRetryHint(
  headers: HeaderLookup | undefined,
  message: string,
  now: number,
): RetryHint | undefined {
  const fromHeaders = headers ? parseHeaderHint(headers, now) : undefined;
  if (fromHeaders !== undefined) return { delayMs: fromHeaders, source: 'retry-after' };
  const fromMessage = parseMessageHint(message);
  if (fromMessage !== undefined) return { delayMs: fromMessage, source: 'message' };
  return undefined;
}

function parseHeaderHint(headers: HeaderLookup, now: number): number | undefined {
  const ms = parseNonNegativeNumber(headers.get('retry-after-ms'));
  if (ms !== undefined) return ms;

  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = parseNonNegativeNumber(retryAfter);
    if (seconds !== undefined) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }

  // The reset of whichever limit ran out; when the response does not say which, the
  // longer one, since waiting for the shorter would only earn another 429.
  const resets: number[] = [];
  for (const limit of ['requests', 'tokens'] as const) {
    const reset = parseDuration(headers.get(`x-ratelimit-reset-${limit}`));
    if (reset === undefined) continue;
    const remaining = headers.get(`x-ratelimit-remaining-${limit}`);
    if (remaining === null || Number(remaining) <= 0) resets.push(reset);
  }
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

const MESSAGE_HINT =
  /(?:try again|retry) in\s+(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i;
const RETRY_DELAY_FIELD = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/;

function parseMessageHint(message: string): number | undefined {
  const match = MESSAGE_HINT.exec(message);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return Number(match[1]) * unitMs(match[2]);
  }
  const field = RETRY_DELAY_FIELD.exec(message);
  if (field?.[1] !== undefined) return Number(field[1]) * 1000;
  return undefined;
}

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  if (u === 'ms' || u.startsWith('milli')) return 1;
  if (u === 'm' || u.startsWith('min')) return 60_000;
  return 1000;
}

function parseNonNegativeNumber(text: string | null): number | undefined {
  if (text === null || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
