/**
 * Git writes a path that holds a double quote, a backslash, a control character or (with
 * the default core.quotePath) a byte >= 0x80 as a C string: `"a/caf\303\251.txt"`, its
 * bytes in octal. These functions read one back.
 */

const ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  t: 0x09,
  n: 0x0a,
  v: 0x0b,
  f: 0x0c,
  r: 0x0d,
  '"': 0x22,
  '\\': 0x5c,
};

export interface QuotedString {
  readonly value: string;
  /** Index just past the closing quote. */
  readonly end: number;
}

/**
 * Reads the C-quoted string that starts at `start` (which must be `"`). Undefined when
 * there is no closing quote or an escape git never writes.
 */
export function readQuoted(text: string, start: number): QuotedString | undefined {
  if (text[start] !== '"') return undefined;
  const bytes: number[] = [];
  let i = start + 1;
  while (i < text.length) {
    const char = String.fromCodePoint(text.codePointAt(i) ?? 0);
    if (char === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length;
      continue;
    }
    const next = text[i + 1] ?? '';
    const octal = /^[0-3][0-7]{2}/.exec(text.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 4;
    } else if (ESCAPES[next] !== undefined) {
      bytes.push(ESCAPES[next]);
      i += 2;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** A path as git wrote it in a header line: unquoted when it is a C string, else as is. */
export function unquoteGitPath(text: string): string | undefined {
  if (!text.startsWith('"')) return text;
  const quoted = readQuoted(text, 0);
  return quoted !== undefined && quoted.end === text.length ? quoted.value : undefined;
}
