import { PatchParseError } from './patch-errors.js';
import { BEGIN_PATCH, END_PATCH } from './patch-markers.js';

/** One line of the patch text, with its 1-based number in the text as sent. */
export interface NumberedLine {
  readonly text: string;
  readonly number: number;
}

/**
 * Codex accepts the patch wrapped in a heredoc, because some models (gpt-4.1) send the
 * shell form `<<'EOF' ... EOF` as the argument itself.
 */
const HEREDOC_OPENERS = new Set(['<<EOF', "<<'EOF'", '<<"EOF"']);

export interface PatchBody {
  /** The lines between `*** Begin Patch` and `*** End Patch`. */
  readonly lines: readonly NumberedLine[];
  /** Line number of `*** End Patch`. */
  readonly endLine: number;
}

/**
 * Checks the outer wrapper and returns what lies between `*** Begin Patch` and
 * `*** End Patch`. Lenient exactly where Codex is: surrounding blank lines, whitespace
 * around the two markers, CRLF line breaks and a heredoc wrapper; strict otherwise.
 */
export function unwrapPatchText(text: string): PatchBody {
  const all = text.split(/\r?\n/).map((line, index) => ({ text: line, number: index + 1 }));
  let lines = trimBlankLines(all);
  const first = lines[0];
  const last = lines.at(-1);
  if (first === undefined || last === undefined) {
    throw new PatchParseError(
      `the patch is empty; it must start with "${BEGIN_PATCH}" and end with "${END_PATCH}".`,
      1,
    );
  }

  if (
    HEREDOC_OPENERS.has(first.text.trim()) &&
    last.text.trim().endsWith('EOF') &&
    lines.length >= 4
  ) {
    lines = trimBlankLines(lines.slice(1, -1));
  }

  const begin = lines[0];
  const end = lines.at(-1);
  if (begin === undefined || begin.text.trim() !== BEGIN_PATCH) {
    const where = begin ?? first;
    throw new PatchParseError(
      `the first line of the patch must be "${BEGIN_PATCH}", not ${JSON.stringify(where.text)}.`,
      where.number,
    );
  }
  if (end === undefined || lines.length < 2 || end.text.trim() !== END_PATCH) {
    const where = end ?? last;
    throw new PatchParseError(
      `the last line of the patch must be "${END_PATCH}", not ${JSON.stringify(where.text)}.`,
      where.number,
    );
  }
  return { lines: lines.slice(1, -1), endLine: end.number };
}

function trimBlankLines(lines: readonly NumberedLine[]): readonly NumberedLine[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]?.text.trim() === '') start += 1;
  while (end > start && lines[end - 1]?.text.trim() === '') end -= 1;
  return lines.slice(start, end);
}
