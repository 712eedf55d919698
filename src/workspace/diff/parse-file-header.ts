import { DiffParseError } from './diff-parse-error.js';
import type { DiffStatus } from './diff-types.js';
import { parseDiffGitLine } from './parse-diff-git-line.js';
import { unquoteGitPath } from './unquote-git-path.js';

export interface FileHeader {
  readonly path: string;
  readonly oldPath?: string | undefined;
  readonly status: DiffStatus;
  readonly binary: boolean;
}

const DEV_NULL = '/dev/null';

type NameKey = 'rename from' | 'rename to' | 'copy from' | 'copy to' | '---' | '+++';
const NAME_LINE = /^(rename from|rename to|copy from|copy to|---|\+\+\+) (.*)$/s;

/**
 * What the header of one file says: its names, its status, whether it is binary. `lines`
 * start with `diff --git `; `firstLine` is the 1-based number of that line, for errors.
 * Names come from the most exact source there is: `rename`/`copy` lines, then `---`/`+++`,
 * then the `diff --git` line (ambiguous with spaces, so read last).
 */
export function parseFileHeader(lines: readonly string[], firstLine: number): FileHeader {
  const found: Partial<Record<NameKey, string>> = {};
  let created = false;
  let deleted = false;
  let binary = false;
  for (const [index, line] of lines.entries()) {
    if (index === 0) continue;
    const match = NAME_LINE.exec(line) as [string, NameKey, string] | null;
    if (match) found[match[1]] = readName(match[1], match[2], firstLine + index);
    else if (line.startsWith('new file mode ')) created = true;
    else if (line.startsWith('deleted file mode ')) deleted = true;
    else if (line === 'GIT binary patch' || /^Binary files .* differ$/s.test(line)) binary = true;
  }
  const fromDiffGitLine = () => {
    const parsed = parseDiffGitLine(lines[0]?.slice('diff --git '.length) ?? '');
    if (parsed !== undefined) return parsed;
    throw new DiffParseError(firstLine, 'cannot tell the two file names apart');
  };
  const side = (key: '---' | '+++') => (found[key] === DEV_NULL ? undefined : found[key]);
  // Lazy: a /dev/null side is never asked for, nor the diff --git line when others name it.
  const oldName = () =>
    found['rename from'] ?? found['copy from'] ?? side('---') ?? fromDiffGitLine().oldName;
  const newName = () =>
    found['rename to'] ?? found['copy to'] ?? side('+++') ?? fromDiffGitLine().newName;
  if (deleted) return { path: oldName(), status: 'deleted', binary };
  if (created) return { path: newName(), status: 'added', binary };
  if (found['rename from'] !== undefined || found['copy from'] !== undefined) {
    const status = found['rename from'] !== undefined ? 'renamed' : 'copied';
    return { path: newName(), oldPath: oldName(), status, binary };
  }
  return { path: newName(), status: 'modified', binary };
}

/** A name from a header line: unquoted, and for ---/+++ without the a/ or b/ prefix. */
function readName(key: NameKey, raw: string, line: number): string {
  const isSide = key === '---' || key === '+++';
  if (isSide && raw === DEV_NULL) return DEV_NULL;
  // Git ends a ---/+++ name that holds a space with a tab (after the quote, if quoted); a
  // tab in a name is always quoted, so a last tab is never part of the name.
  const text = isSide && raw.endsWith('\t') ? raw.slice(0, -1) : raw;
  const name = unquoteGitPath(text);
  if (name === undefined) throw new DiffParseError(line, `bad quoted name ${text}`);
  if (!isSide) return name;
  const prefix = key === '---' ? 'a/' : 'b/';
  if (!name.startsWith(prefix)) {
    throw new DiffParseError(
      line,
      `expected a name starting with ${prefix} (git's default prefix)`,
    );
  }
  return name.slice(prefix.length);
}
