import { describe, expect, it } from 'vitest';
import { parseRetryHint } from '../../src/model/retry-hints.js';
import { parseDuration } from '../../src/util/duration.js';

const headers = (values: Record<string, string>) => new Headers(values);
const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('parseRetryHint', () => {
  it.each([
    [{ 'retry-after-ms': '1250' }, 1250],
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Fri, 20 Nov 2026 12:00:07 GMT' }, 7000],
    // retry-after-ms is the more precise one and wins.
    [{ 'retry-after': '3', 'retry-after-ms': '2500' }, 2500],
    [{ 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-requests': '0' }, 360_000],
    // Only the exhausted limit's reset counts.
    [
      {
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-remaining-requests': '10',
        'x-ratelimit-reset-tokens': '20ms',
        'x-ratelimit-remaining-tokens': '0',
      },
      20,
    ],
    // Without remaining counts, the longer reset, since the shorter would earn another 429.
    [{ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '1m2.5s' }, 62_500],
  ])('reads headers %j as %d ms', (values, expected) => {
    expect(parseRetryHint(headers(values), 'Rate limit reached', NOW)).toEqual({
      delayMs: expected,
      source: 'retry-after',
    });
  });

  it.each([
    ['Rate limit reached for gpt-5 on tokens per min (TPM). Please try again in 3.646s.', 3646],
    ['Rate limit reached. Please try again in 20ms. Visit ...', 20],
    ['Please try again in 1m.', 60_000],
    ['Resource exhausted. Please retry in 25.5s.', 25_500],
    ['{"error":{"details":[{"retryDelay": "17s"}]}}', 17_000],
  ])('reads the message %j as %d ms', (message, expected) => {
    const hint = parseRetryHint(headers({}), message, NOW);
    expect(hint?.source).toBe('message');
    expect(hint?.delayMs).toBeCloseTo(expected, 6);
  });

  it('prefers headers over the message, and finds nothing in a message without a hint', () => {
    expect(parseRetryHint(headers({ 'retry-after': '2' }), 'try again in 9s', NOW)?.delayMs).toBe(
      2000,
    );
    expect(parseRetryHint(headers({}), 'Too many requests', NOW)).toBeUndefined();
    expect(parseRetryHint(headers({ 'retry-after': 'soon' }), 'slow down', NOW)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h2m3.5s', 3_723_500],
    ['500ms', 500],
    ['12', 12_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '10 minutes', '5x'])('%j is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
