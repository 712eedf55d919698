import type { ChunkLine } from './patch-types.js';

/** What the file must contain for the chunk to apply: its unchanged and removed lines. */
export function oldLinesOf(lines: readonly ChunkLine[]): string[] {
  return lines.filter((line) => line.kind !== 'add').map((line) => line.text);
}

/** What the chunk leaves in their place: its unchanged and added lines. */
export function newLinesOf(lines: readonly ChunkLine[]): string[] {
  return lines.filter((line) => line.kind !== 'remove').map((line) => line.text);
}
