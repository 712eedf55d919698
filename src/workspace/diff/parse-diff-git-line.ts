import { readQuoted } from './unquote-git-path.js';

export interface DiffGitNames {
  /** Without the `a/` prefix. */
  readonly oldName: string;
  /** Without the `b/` prefix. */
  readonly newName: string;
}

/**
 * The two names of `diff --git a/x b/x` (the part after `diff --git `). Each may be quoted.
 * Two unquoted names are ambiguous when they hold spaces, so then they must be the same
 * name, which they are whenever git has no `rename`/`copy` lines to name them better.
 * Undefined when the names cannot be told apart or lack their prefixes.
 */
export function parseDiffGitLine(rest: string): DiffGitNames | undefined {
  if (rest.startsWith('"')) {
    const first = readQuoted(rest, 0);
    if (first === undefined || rest[first.end] !== ' ') return undefined;
    const second = readName(rest.slice(first.end + 1));
    return second === undefined ? undefined : withoutPrefixes(first.value, second);
  }
  if (rest.endsWith('"')) {
    // An unquoted name, then a quoted one: the quoted one starts at some ` "`.
    for (let at = rest.indexOf(' "'); at >= 0; at = rest.indexOf(' "', at + 1)) {
      const second = readQuoted(rest, at + 1);
      if (second !== undefined && second.end === rest.length) {
        return withoutPrefixes(rest.slice(0, at), second.value);
      }
    }
    return undefined;
  }
  // "a/NAME b/NAME": the same NAME twice, so the split is in the middle.
  if ((rest.length - 5) % 2 !== 0) return undefined;
  const length = (rest.length - 5) / 2;
  const oldName = rest.slice(0, 2 + length);
  const newName = rest.slice(3 + length);
  if (rest[2 + length] !== ' ' || oldName.slice(2) !== newName.slice(2)) return undefined;
  return withoutPrefixes(oldName, newName);
}

function readName(text: string): string | undefined {
  if (!text.startsWith('"')) return text;
  const quoted = readQuoted(text, 0);
  return quoted?.end === text.length ? quoted.value : undefined;
}

function withoutPrefixes(oldName: string, newName: string): DiffGitNames | undefined {
  if (!oldName.startsWith('a/') || !newName.startsWith('b/')) return undefined;
  return { oldName: oldName.slice(2), newName: newName.slice(2) };
}
