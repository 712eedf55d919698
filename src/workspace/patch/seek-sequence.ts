import { LINE_NORMALIZERS } from './line-matchers.js';

/**
 * Finds `pattern` in `lines` at or after `start` and returns the index where it begins, or
 * undefined. Each pass of LINE_NORMALIZERS searches the whole range before a looser one is
 * tried, so an exact match further down wins over a fuzzy one nearby. With `atEnd`, the
 * pattern must end at the last line (`*** End of File`).
 *
 * The first match wins, as in Codex: chunks are meant to carry enough context (and `@@`
 * anchors) to be unique from where the previous chunk ended.
 */
export function seekSequence(
  lines: readonly string[],
  pattern: readonly string[],
  start: number,
  atEnd: boolean,
): number | undefined {
  if (pattern.length === 0) return atEnd ? lines.length : start;
  const last = lines.length - pattern.length;
  // At the end only one place is possible; it must not reach back before `start` (that
  // would overlap what an earlier chunk replaced).
  const first = atEnd ? last : start;
  if (first < start || first > last) return undefined;

  for (const normalize of LINE_NORMALIZERS) {
    const wanted = pattern.map(normalize);
    const haystack = lines.slice(first).map(normalize);
    for (let at = 0; at + first <= last; at += 1) {
      if (wanted.every((line, offset) => haystack[at + offset] === line)) return at + first;
    }
  }
  return undefined;
}
