import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';

/** A model-supplied path that would leave the workspace or touch what it must not. */
export class WorkspacePathError extends UserError {}

export interface ResolveOptions {
  /** Writes may never touch `.git` (any component named `.git`). Reads may. */
  readonly forWrite?: boolean;
}

/**
 * Resolves a path the model gave (relative to the workspace, or absolute but inside it)
 * to an absolute host path, refusing anything that escapes the workspace: `..` segments
 * that climb out, absolute paths elsewhere, and symlinks (at any level, the last one
 * included) whose target lies outside. The path itself need not exist yet.
 */
export async function resolveWorkspacePath(
  workspace: string,
  requested: string,
  options: ResolveOptions = {},
): Promise<string> {
  if (requested.trim() === '') throw new WorkspacePathError('The path is empty.');
  if (requested.includes('\0')) throw new WorkspacePathError('The path contains a NUL byte.');

  const root = await realpath(workspace);
  const lexical = path.resolve(root, requested);
  // Absolute paths spelled with the unresolved workspace path are fine too.
  const candidate = isInside(path.resolve(workspace), lexical)
    ? path.join(root, path.relative(path.resolve(workspace), lexical))
    : lexical;

  if (!isInside(root, candidate)) {
    throw new WorkspacePathError(
      `The path ${JSON.stringify(requested)} is outside the workspace; use a path relative to the repository root.`,
    );
  }

  const relative = path.relative(root, candidate);
  if (options.forWrite && relative.split(path.sep).includes('.git')) {
    throw new WorkspacePathError(
      `The path ${JSON.stringify(requested)} is inside .git, which may not be changed.`,
    );
  }

  // Follow symlinks on the part of the path that exists; the rest is created under it.
  const real = await realpathOfExistingPrefix(candidate);
  if (!isInside(root, real)) {
    throw new WorkspacePathError(
      `The path ${JSON.stringify(requested)} leads outside the workspace through a symbolic link.`,
    );
  }
  if (options.forWrite && path.relative(root, real).split(path.sep).includes('.git')) {
    throw new WorkspacePathError(
      `The path ${JSON.stringify(requested)} leads into .git through a symbolic link.`,
    );
  }
  return candidate;
}

/** true when `child` is `parent` or below it. Both must be absolute and normalized. */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * realpath of the longest existing prefix, with the missing rest appended. A dangling
 * symlink is followed by hand (realpath fails on it), so a link to a not-yet-existing
 * file outside the workspace is still caught.
 */
async function realpathOfExistingPrefix(absolute: string, depth = 0): Promise<string> {
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      const real = await realpath(current);
      return path.join(real, ...missing.reverse());
    } catch (error) {
      if (!isMissing(error)) throw error;
      const link = await lstat(current).catch(() => undefined);
      if (link?.isSymbolicLink()) {
        if (depth > 40) throw new WorkspacePathError('Too many levels of symbolic links.');
        const target = path.resolve(path.dirname(current), await readlink(current));
        return realpathOfExistingPrefix(path.join(target, ...missing.reverse()), depth + 1);
      }
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** The path (or a directory on the way to it) does not exist. */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
