/**
 * Durations as people and providers write them: "1s", "6m0s", "20ms", "1h2m3.5s", "90s".
 * A bare number is seconds (OpenAI's reset headers, Retry-After, and our own settings
 * all read that way). Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(part)) {
    const unit = match[2] as 'ms' | 'h' | 'm' | 's';
    total += Number(match[1]) * UNIT_MS[unit];
    consumed += match[0].length;
  }
  return consumed === trimmed.length ? total : undefined;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
