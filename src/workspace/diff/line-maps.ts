import type { DiffFile, Hunk } from './diff-types.js';

/**
 * The new-side lines that appear in the diff: added and context lines. These are the lines
 * a review comment on side RIGHT may point at.
 */
export function newSideLines(file: DiffFile): Set<number> {
  const lines = new Set<number>();
  for (const hunk of file.hunks) {
    for (const line of hunk.lines) if (line.kind !== 'del') lines.add(line.newLine);
  }
  return lines;
}

/** The new-side lines the change added (or rewrote). */
export function changedLines(file: DiffFile): Set<number> {
  const lines = new Set<number>();
  for (const hunk of file.hunks) {
    for (const line of hunk.lines) if (line.kind === 'add') lines.add(line.newLine);
  }
  return lines;
}

/** The hunk whose new side holds `line`, if any. */
export function hunkAtNewLine(hunks: readonly Hunk[], line: number): Hunk | undefined {
  return hunks.find((hunk) => line >= hunk.newStart && line < hunk.newStart + hunk.newLines);
}

/**
 * The start of the file's new side, when the diff shows it (its first hunk starts at line
 * 1, as for every added file): enough to look for a "generated" marker. Else undefined.
 */
export function newFileHead(file: DiffFile): string | undefined {
  const first = file.hunks[0];
  if (first === undefined || first.newStart > 1 || first.newLines === 0) return undefined;
  return first.lines.flatMap((line) => (line.kind === 'del' ? [] : [line.text])).join('\n');
}
