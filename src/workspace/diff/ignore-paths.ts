import { compilePathPattern, matchesPath, parentDirectories } from './path-pattern.js';

/**
 * A matcher for `review.ignore_paths`, with .gitignore's rules: `dist/**`, `**\/*.snap`,
 * `*.snap` (at any depth), `/docs` (the root's only), `generated/` (a directory and all
 * beneath it). A pattern that matches a directory matches every file under it. `!pattern`
 * takes back what an earlier pattern ignored; the last pattern that matches decides.
 * Returns the pattern that ignores `path`, or undefined.
 */
export function matchIgnorePaths(
  patterns: readonly string[],
): (path: string) => string | undefined {
  const compiled = patterns.map(compilePathPattern);
  return (path) => {
    const directories = parentDirectories(path);
    let ignoredBy: string | undefined;
    for (const pattern of compiled) {
      const matches =
        matchesPath(pattern, path) || directories.some((dir) => matchesPath(pattern, dir, true));
      if (matches) ignoredBy = pattern.negated ? undefined : pattern.source;
    }
    return ignoredBy;
  };
}
