import type { DiffFile, DiffLine, Hunk } from './diff-types.js';

const PREFIX: Readonly<Record<DiffLine['kind'], string>> = { context: ' ', add: '+', del: '-' };
const NO_NEWLINE = '\\ No newline at end of file';

/**
 * One file's section of a diff, as git writes it: what was parsed from git's output
 * renders back to the same text. A file cut down to some of its hunks renders as a valid
 * diff of just those hunks.
 */
export function renderDiffFile(file: DiffFile): string {
  return renderFileHeader(file) + file.hunks.map(renderHunk).join('');
}

/** A whole diff: the files' sections one after the other. */
export function renderDiff(files: readonly DiffFile[]): string {
  return files.map(renderDiffFile).join('');
}

/** The header lines, each ending with a newline. */
export function renderFileHeader(file: DiffFile): string {
  return file.headerLines.map((line) => `${line}\n`).join('');
}

/** The `@@` line and the hunk's lines, each ending with a newline. */
export function renderHunk(hunk: Hunk): string {
  const out = [renderHunkHeader(hunk)];
  for (const line of hunk.lines) {
    out.push(PREFIX[line.kind] + line.text);
    if (line.noNewlineAtEnd) out.push(NO_NEWLINE);
  }
  return out.map((line) => `${line}\n`).join('');
}

/** `@@ -a,b +c,d @@ header`, with git's habit of leaving out a count of 1. */
export function renderHunkHeader(hunk: Hunk): string {
  const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
  const header = hunk.header === '' ? '' : ` ${hunk.header}`;
  return `@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@${header}`;
}
