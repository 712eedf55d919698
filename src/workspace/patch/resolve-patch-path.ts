import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { resolveWorkspacePath, WorkspacePathError } from '../resolve-workspace-path.js';

/** A path from the patch, checked and resolved. */
export interface PatchPath {
  /**
   * Absolute host path with every directory symlink resolved (the last component is not
   * followed): where the file is read and written, and its identity within one patch, so
   * two spellings of one file are one file.
   */
  readonly absolute: string;
  /** Relative to the workspace root, with forward slashes: what messages and results show. */
  readonly display: string;
}

/**
 * Resolves a path the patch names, refusing what resolveWorkspacePath refuses for a write:
 * escapes by `..`, absolute paths elsewhere, symlinks leading outside, anything in `.git`.
 * `root` is the workspace's realpath.
 */
export async function resolvePatchPath(
  workspace: string,
  root: string,
  requested: string,
): Promise<PatchPath> {
  const lexical = await resolveWorkspacePath(workspace, requested, { forWrite: true });
  if (lexical === root) {
    throw new WorkspacePathError(
      `The path ${JSON.stringify(requested)} is the workspace root, not a file.`,
    );
  }
  const parent = await realpathOfExistingPrefix(path.dirname(lexical));
  const absolute = path.join(parent, path.basename(lexical));
  const display = path.relative(root, absolute).split(path.sep).join('/');
  return { absolute, display };
}

/** realpath of the longest existing prefix, with the missing rest appended. */
async function realpathOfExistingPrefix(absolute: string): Promise<string> {
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return path.join(await realpath(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
