/**
 * One glob, in git's wildmatch dialect, as a RegExp over a whole slash-separated path:
 * `*` and `?` stay within one directory level, `**` spans levels when it is a whole level
 * (`**\/x`, `a/**\/b`, `a/**`), `[abc]`, `[a-z]` and `[!abc]` match one character (never
 * `/`), and `\` makes the next character literal. Anchoring (a pattern without a slash
 * matches the name at any depth) is the caller's business: see compilePathPattern.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let i = 0;
  while (i < glob.length) {
    const char = glob[i] ?? '';
    if (char === '*') {
      let end = i;
      while (glob[end] === '*') end++;
      const wholeLevel = end - i >= 2 && (i === 0 || glob[i - 1] === '/');
      if (wholeLevel && end === glob.length) {
        source += '.*';
      } else if (wholeLevel && glob[end] === '/') {
        source += '(?:.*/)?';
        end++;
      } else {
        source += '[^/]*';
      }
      i = end;
    } else if (char === '?') {
      source += '[^/]';
      i++;
    } else if (char === '[') {
      const bracket = readBracket(glob, i);
      source += bracket?.source ?? '\\[';
      i = bracket?.end ?? i + 1;
    } else if (char === '\\' && i + 1 < glob.length) {
      source += escapeRegExp(glob[i + 1] ?? '');
      i += 2;
    } else {
      source += escapeRegExp(char);
      i++;
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/** `[...]` starting at `start`, as a RegExp class; undefined when it is not closed. */
function readBracket(glob: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  const negated = glob[i] === '!' || glob[i] === '^';
  if (negated) i++;
  let body = '';
  // A `]` first in the class is a literal.
  if (glob[i] === ']') {
    body += '\\]';
    i++;
  }
  while (i < glob.length && glob[i] !== ']') {
    let char = glob[i] ?? '';
    if (char === '\\' && i + 1 < glob.length) char = glob[++i] ?? '';
    if (glob[i + 1] === '-' && glob[i + 2] !== undefined && glob[i + 2] !== ']') {
      body += `${escapeClass(char)}-${escapeClass(glob[i + 2] ?? '')}`;
      i += 3;
    } else {
      body += escapeClass(char);
      i++;
    }
  }
  if (i >= glob.length || body === '') return undefined;
  return { source: negated ? `[^/${body}]` : `(?!/)[${body}]`, end: i + 1 };
}

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}

function escapeClass(char: string): string {
  return /[\\\]^-]/.test(char) ? `\\${char}` : char;
}
