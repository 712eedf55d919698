import { PatchParseError } from './patch-errors.js';
import type { NumberedLine } from './unwrap-patch-text.js';

/**
 * true when `header` (already trimmed) is `marker` followed by a path, or the marker alone
 * (its trailing space trimmed away), which parsePatchPath then reports as a missing path.
 */
export function hasMarker(header: string, marker: string): boolean {
  return header.startsWith(marker) || header === marker.trimEnd();
}

/** The path after a `*** ...: ` marker. Surrounding whitespace is never part of a name. */
export function parsePatchPath(header: string, marker: string, line: NumberedLine): string {
  const path = header.slice(marker.length).trim();
  if (path === '') {
    throw new PatchParseError(
      `"${marker.trim()}" needs a path relative to the repository root.`,
      line.number,
    );
  }
  return path;
}
