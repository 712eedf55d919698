/**
 * Replacing lines start..end (1-based, inclusive) of a text file with a suggestion, the
 * way GitHub applies a ```suggestion block: the rest of the file stays byte for byte,
 * the new lines take the file's line ending, and the final newline (or its absence) is kept.
 */

export type ReplaceResult =
  | { readonly ok: true; readonly text: string; readonly changed: boolean }
  | { readonly ok: false; readonly reason: string };

interface Line {
  readonly text: string;
  /** '\n', '\r\n', or '' for a last line without a newline. */
  readonly eol: string;
}

export function replaceLines(
  original: string,
  startLine: number,
  endLine: number,
  suggestion: string,
): ReplaceResult {
  const lines = splitLines(original);
  if (!Number.isInteger(startLine) || !Number.isInteger(endLine) || startLine < 1) {
    return { ok: false, reason: `invalid line range ${startLine}-${endLine}` };
  }
  if (endLine < startLine) {
    return { ok: false, reason: `invalid line range ${startLine}-${endLine}` };
  }
  if (endLine > lines.length) {
    return {
      ok: false,
      reason: `lines ${startLine}-${endLine} are outside the file, which has ${lines.length} line${lines.length === 1 ? '' : 's'}`,
    };
  }

  const before = lines.slice(0, startLine - 1);
  const after = lines.slice(endLine);
  const lastReplaced = lines[endLine - 1] as Line;
  const eol = dominantEol(lines);
  const texts = suggestionLines(suggestion);
  const replacement: Line[] = texts.map((text, index) => ({
    text,
    // The last new line ends as the last replaced one did: a file without a final newline keeps none.
    eol: index === texts.length - 1 ? lastReplaced.eol : eol,
  }));
  const result = [...before, ...replacement, ...after];
  // Deleting the last lines: the new last line takes over their missing final newline.
  const tail = result.at(-1);
  if (after.length === 0 && replacement.length === 0 && tail !== undefined) {
    result[result.length - 1] = { text: tail.text, eol: lastReplaced.eol };
  }
  const text = result.map((line) => line.text + line.eol).join('');
  return { ok: true, text, changed: text !== original };
}

/** Lines with their endings; '' has no lines, 'a\n' has one. */
function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const pattern = /\r?\n/g;
  let start = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    lines.push({ text: text.slice(start, match.index), eol: match[0] });
    start = match.index + match[0].length;
  }
  if (start < text.length) lines.push({ text: text.slice(start), eol: '' });
  return lines;
}

function dominantEol(lines: readonly Line[]): string {
  const crlf = lines.filter((line) => line.eol === '\r\n').length;
  const lf = lines.filter((line) => line.eol === '\n').length;
  return crlf > lf ? '\r\n' : '\n';
}

/**
 * The suggestion's lines. One trailing newline is optional (models add it, or not); an
 * empty suggestion deletes the lines, as an empty ```suggestion block does on GitHub.
 */
function suggestionLines(suggestion: string): string[] {
  if (suggestion === '') return [];
  return suggestion.replace(/\r?\n$/, '').split(/\r?\n/);
}
