import { globToRegExp } from './glob-to-regexp.js';

/** A gitignore-style pattern, compiled. */
export interface PathPattern {
  /** The pattern as written. */
  readonly source: string;
  /** Written with a leading `!`. */
  readonly negated: boolean;
  /** Written with a trailing `/`: matches directories only. */
  readonly directoryOnly: boolean;
  readonly regExp: RegExp;
}

/**
 * Compiles a pattern with gitignore's anchoring rules: one with a slash before its end is
 * anchored at the root (a leading `/` only says so), one without matches the last path
 * component at any depth (`*.snap` is `**\/*.snap`).
 */
export function compilePathPattern(pattern: string): PathPattern {
  const negated = pattern.startsWith('!');
  let glob = negated ? pattern.slice(1) : pattern;
  const directoryOnly = glob.endsWith('/') && glob.length > 1;
  if (directoryOnly) glob = glob.slice(0, -1);
  const anchored = glob.includes('/');
  if (glob.startsWith('/')) glob = glob.slice(1);
  const regExp = globToRegExp(anchored ? glob : `**/${glob}`);
  return { source: pattern, negated, directoryOnly, regExp };
}

/** Whether `pattern` matches `path` itself (a file, unless `isDirectory`). */
export function matchesPath(pattern: PathPattern, path: string, isDirectory = false): boolean {
  if (pattern.directoryOnly && !isDirectory) return false;
  return pattern.regExp.test(path);
}

/** `a/b/c.ts` → `['a', 'a/b']`. */
export function parentDirectories(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('/'));
}
