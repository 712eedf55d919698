import { compilePathPattern, matchesPath } from './path-pattern.js';
import type { PathPattern } from './path-pattern.js';
import { readQuoted } from './unquote-git-path.js';

/** `name` → true (set), `-name` → false (unset), `name=value` → the value. */
export type AttributeValue = boolean | string;

export interface GitAttributes {
  /** The attribute's state for the file at `path`; undefined when unspecified. */
  get(path: string, name: string): AttributeValue | undefined;
}

interface Rule {
  readonly pattern: PathPattern;
  /** undefined: `!name`, back to unspecified. */
  readonly attributes: ReadonlyMap<string, AttributeValue | undefined>;
}

/**
 * The root `.gitattributes`, as git reads it: `pattern attr...` per line, `#` comments,
 * `[attr]` macro lines (not expanded; skipped), a pattern in C quotes for odd names. The
 * later line wins per attribute. Patterns follow gitignore anchoring, except that a
 * pattern matching a directory does not match the files under it (`vendor/**` does; git
 * ignores `vendor/` here) and `!pattern` is refused by git, so skipped.
 */
export function parseGitattributes(text: string): GitAttributes {
  const rules: Rule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const rule = parseLine(rawLine.trim());
    if (rule !== undefined) rules.push(rule);
  }
  return {
    get(path, name) {
      for (let index = rules.length - 1; index >= 0; index--) {
        const rule = rules[index];
        if (rule === undefined || !rule.attributes.has(name)) continue;
        if (matchesPath(rule.pattern, path)) return rule.attributes.get(name);
      }
      return undefined;
    },
  };
}

function parseLine(line: string): Rule | undefined {
  if (line === '' || line.startsWith('#') || line.startsWith('[attr]')) return undefined;
  let pattern: string;
  let rest: string;
  if (line.startsWith('"')) {
    const quoted = readQuoted(line, 0);
    if (quoted === undefined) return undefined;
    pattern = quoted.value;
    rest = line.slice(quoted.end);
  } else {
    const space = line.search(/\s/);
    pattern = space < 0 ? line : line.slice(0, space);
    rest = space < 0 ? '' : line.slice(space);
  }
  if (pattern.startsWith('!')) return undefined;
  const attributes = new Map<string, AttributeValue | undefined>();
  for (const token of rest.split(/\s+/).filter((part) => part !== '')) {
    if (token.startsWith('-')) attributes.set(token.slice(1), false);
    else if (token.startsWith('!')) attributes.set(token.slice(1), undefined);
    else if (token.includes('=')) {
      const equals = token.indexOf('=');
      attributes.set(token.slice(0, equals), token.slice(equals + 1));
    } else attributes.set(token, true);
  }
  return { pattern: compilePathPattern(pattern), attributes };
}
