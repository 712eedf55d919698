import { normalizeLoosely } from './line-matchers.js';

export interface ClosestMatch {
  /** 0-based line of the file where the compared window starts. */
  readonly start: number;
  /** Per line of the pattern: whether the file has it there (loosest comparison). */
  readonly agrees: readonly boolean[];
  readonly agreeing: number;
}

/**
 * Where in the file the chunk's old lines come closest to matching, for the error message
 * only (never to apply anything). The window with the most agreeing non-blank lines wins;
 * on a tie, the first one at or after `preferFrom`. Nothing is reported when fewer than
 * half of the non-blank lines agree: a lone `}` in common is no hint.
 */
export function findClosestMatch(
  lines: readonly string[],
  pattern: readonly string[],
  preferFrom: number,
): ClosestMatch | undefined {
  const wanted = pattern.map(normalizeLoosely);
  const haystack = lines.map(normalizeLoosely);
  const nonBlank = wanted.filter((line) => line !== '').length;
  const needed = Math.max(1, Math.floor(nonBlank / 2));

  let best: ClosestMatch | undefined;
  for (let start = 0; start < lines.length; start += 1) {
    const agrees = wanted.map((line, offset) => haystack[start + offset] === line);
    const agreeing = wanted.filter((line, offset) => line !== '' && agrees[offset]).length;
    if (agreeing < needed) continue;
    const better =
      best === undefined ||
      agreeing > best.agreeing ||
      (agreeing === best.agreeing && best.start < preferFrom && start >= preferFrom);
    if (better) best = { start, agrees, agreeing };
  }
  return best;
}
