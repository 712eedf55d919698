/**
 * The parsed form of a patch in the apply_patch format (the one OpenAI's models are trained
 * on, from Codex CLI). Line numbers are 1-based positions in the text the model sent, so
 * errors can point at them.
 */

export interface ParsedPatch {
  readonly hunks: readonly PatchHunk[];
}

export type PatchHunk = AddFileHunk | DeleteFileHunk | UpdateFileHunk;

export interface AddFileHunk {
  readonly type: 'add';
  readonly path: string;
  /** The new file's text: every `+` line, each ending with a newline. */
  readonly contents: string;
  /** Line of the `*** Add File:` header. */
  readonly line: number;
}

export interface DeleteFileHunk {
  readonly type: 'delete';
  readonly path: string;
  readonly line: number;
}

export interface UpdateFileHunk {
  readonly type: 'update';
  readonly path: string;
  /** Set by `*** Move to:`: the file is renamed (and edited, if there are chunks). */
  readonly moveTo: string | undefined;
  /** In file order; empty only for a pure rename. */
  readonly chunks: readonly UpdateChunk[];
  readonly line: number;
}

export interface UpdateChunk {
  /**
   * The `@@ <line>` anchors, found one after the other before the chunk's lines are
   * searched (usually a class, then a method header). Empty for a bare `@@` or none.
   */
  readonly anchors: readonly string[];
  /** The chunk's lines in order: unchanged (' '), removed ('-') and added ('+'). */
  readonly lines: readonly ChunkLine[];
  /** `*** End of File` followed the lines: they must match at the end of the file. */
  readonly isEndOfFile: boolean;
  /** Line where the chunk starts (its first `@@`, or its first line when it has none). */
  readonly line: number;
}

export interface ChunkLine {
  readonly kind: 'context' | 'remove' | 'add';
  /** The line without its prefix character. */
  readonly text: string;
}

export type ChangeKind = 'add' | 'update' | 'delete' | 'move';

export interface ChangedFile {
  /** Relative to the workspace root, with forward slashes. For a move, the old path. */
  readonly path: string;
  readonly kind: ChangeKind;
  /** For a move: the new path, relative to the workspace root. */
  readonly movedTo?: string;
}

export interface ApplyPatchResult {
  readonly changed: readonly ChangedFile[];
}
