import { DiffParseError } from './diff-parse-error.js';
import type { DiffFile, Hunk } from './diff-types.js';
import { parseFileHeader } from './parse-file-header.js';
import { parseHunk } from './parse-hunk.js';

const FILE_START = 'diff --git ';

/**
 * Parses the output of `git diff` (a/ and b/ prefixes, as DIFF_OPTIONS sets) into one entry
 * per file section, in the order git wrote them. Throws DiffParseError on anything git
 * would not write, rather than skip it: a review must not silently miss part of a change.
 */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const files: DiffFile[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i] ?? '';
    if (!first.startsWith(FILE_START)) throw new DiffParseError(i + 1, unexpected(first));
    const headerStart = i++;
    while (i < lines.length && !isFileStart(lines[i]) && !lines[i]?.startsWith('@@ ')) i++;
    const headerLines = lines.slice(headerStart, i);
    const header = parseFileHeader(headerLines, headerStart + 1);
    const hunks: Hunk[] = [];
    while (lines[i]?.startsWith('@@ ')) {
      const parsed = parseHunk(lines, i);
      hunks.push(parsed.hunk);
      i = parsed.next;
    }
    const after = lines[i];
    if (hunks.length > 0 && after !== undefined && !isFileStart(after)) {
      throw new DiffParseError(i + 1, `a line past the hunk's counts: ${quote(after)}`);
    }
    files.push({ ...header, hunks, headerLines });
  }
  return files;
}

function isFileStart(line: string | undefined): boolean {
  return line?.startsWith(FILE_START) === true;
}

function unexpected(line: string): string {
  if (/^diff --(cc|combined) /.test(line)) {
    return 'a combined diff (of a merge commit) is not supported';
  }
  return `expected "diff --git", got ${quote(line)}`;
}

function quote(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
