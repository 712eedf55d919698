/**
 * A unified git diff (`git diff` with a/ and b/ prefixes), parsed. Line numbers are 1-based:
 * `oldLine` in the base, `newLine` in the head, the side review findings point at.
 */

export type DiffStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied';

export interface DiffFile {
  /** The path after the change; for a deletion, the path that was deleted. */
  readonly path: string;
  /** The path before a rename or copy (absent otherwise). */
  readonly oldPath?: string | undefined;
  readonly status: DiffStatus;
  /** "Binary files … differ" or a `GIT binary patch`: there are no hunks to read. */
  readonly binary: boolean;
  /** In file order. Empty for a pure rename, a mode change, an empty new file, a binary. */
  readonly hunks: readonly Hunk[];
  /**
   * The file's header as git wrote it, verbatim: `diff --git …` up to the line before the
   * first hunk (`index`, modes, `rename from`, `---`/`+++`, `Binary files …`, binary patch
   * data). Kept so that renderDiffFile gives back exactly what was parsed.
   */
  readonly headerLines: readonly string[];
}

export interface Hunk {
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  /** The text after `@@ -a,b +c,d @@ ` (git's function context), or ''. */
  readonly header: string;
  readonly lines: readonly DiffLine[];
}

export type DiffLine = ContextLine | AddedLine | DeletedLine;

interface LineBase {
  /** The line without its prefix character; a CRLF file's `\r` is kept. */
  readonly text: string;
  /** `\ No newline at end of file` followed this line. */
  readonly noNewlineAtEnd?: true | undefined;
}

export interface ContextLine extends LineBase {
  readonly kind: 'context';
  readonly oldLine: number;
  readonly newLine: number;
}

export interface AddedLine extends LineBase {
  readonly kind: 'add';
  readonly newLine: number;
}

export interface DeletedLine extends LineBase {
  readonly kind: 'del';
  readonly oldLine: number;
}
