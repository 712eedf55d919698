import { DiffParseError } from './diff-parse-error.js';
import type { DiffLine, Hunk } from './diff-types.js';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: (.*))?$/s;

export interface ParsedHunk {
  readonly hunk: Hunk;
  /** Index of the first line after the hunk. */
  readonly next: number;
}

/**
 * Reads the hunk whose `@@` line is `lines[start]`. The counts in the `@@` line say where it
 * ends, so a content line that looks like a header (`--- x`, `diff --git`) is still content.
 */
export function parseHunk(lines: readonly string[], start: number): ParsedHunk {
  const match = HUNK_HEADER.exec(lines[start] ?? '');
  if (!match) throw new DiffParseError(start + 1, 'not a hunk header (@@ -a,b +c,d @@)');
  const oldStart = Number(match[1]);
  const oldLines = match[2] === undefined ? 1 : Number(match[2]);
  const newStart = Number(match[3]);
  const newLines = match[4] === undefined ? 1 : Number(match[4]);
  const header = match[5] ?? '';

  const body: DiffLine[] = [];
  let oldLine = oldStart;
  let newLine = newStart;
  let i = start + 1;
  while (oldLine < oldStart + oldLines || newLine < newStart + newLines) {
    const line = lines[i];
    const oldLeft = oldLine < oldStart + oldLines;
    const newLeft = newLine < newStart + newLines;
    if (line === undefined) {
      throw new DiffParseError(i + 1, 'the diff ends inside a hunk (fewer lines than its @@ says)');
    }
    const prefix = line.charAt(0);
    const text = line.slice(1);
    // An empty line is a context line whose trailing space was stripped (never by git).
    if ((prefix === ' ' || line === '') && oldLeft && newLeft) {
      body.push({ kind: 'context', text, oldLine: oldLine++, newLine: newLine++ });
    } else if (prefix === '-' && oldLeft) {
      body.push({ kind: 'del', text, oldLine: oldLine++ });
    } else if (prefix === '+' && newLeft) {
      body.push({ kind: 'add', text, newLine: newLine++ });
    } else if (prefix === '\\' && body.length > 0) {
      markNoNewline(body);
    } else {
      throw new DiffParseError(i + 1, `unexpected line in a hunk: ${JSON.stringify(line)}`);
    }
    i++;
  }
  // The marker can follow the hunk's last line.
  if (lines[i]?.startsWith('\\') && body.length > 0) {
    markNoNewline(body);
    i++;
  }
  return { hunk: { oldStart, oldLines, newStart, newLines, header, lines: body }, next: i };
}

/** `\ No newline at end of file` belongs to the line before it. */
function markNoNewline(body: DiffLine[]): void {
  const last = body.at(-1);
  if (last !== undefined) body[body.length - 1] = { ...last, noNewlineAtEnd: true };
}
