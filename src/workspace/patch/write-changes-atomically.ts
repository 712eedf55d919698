import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import type { FileVersion } from './file-overlay.js';
import { PatchWriteError } from './patch-errors.js';

/** The file operations the writer uses: a seam, so tests can make one fail midway. */
export interface WriterFs {
  mkdir(target: string, options: { recursive: true }): Promise<string | undefined>;
  writeFile(target: string, data: Uint8Array, options: { flag: 'wx' }): Promise<void>;
  chmod(target: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(target: string): Promise<void>;
  rmdir(target: string): Promise<void>;
}

export const nodeWriterFs: WriterFs = {
  mkdir: (target, options) => nodeFs.mkdir(target, options),
  writeFile: (target, data, options) => nodeFs.writeFile(target, data, options),
  chmod: (target, mode) => nodeFs.chmod(target, mode),
  rename: (from, to) => nodeFs.rename(from, to),
  unlink: (target) => nodeFs.unlink(target),
  rmdir: (target) => nodeFs.rmdir(target),
};

export interface WriteOperations {
  readonly writes: readonly {
    readonly path: string;
    readonly content: Uint8Array;
    /** Permission bits to set; undefined leaves the default for a new file. */
    readonly mode: number | undefined;
    /** What is there now, to put back if a later step fails; undefined for a new file. */
    readonly original: FileVersion | undefined;
  }[];
  readonly deletes: readonly { readonly path: string; readonly original: FileVersion }[];
}

export interface WriterOptions {
  readonly fs?: WriterFs;
  /** Messages name files relative to this directory (the workspace root). */
  readonly relativeTo?: string;
  /** Suffix making temporary names unique. Default: random. */
  readonly uniqueId?: () => string;
}

/** Something done to the workspace, and so something to undo on failure. */
type Done =
  | { readonly kind: 'replaced'; readonly path: string; readonly original: FileVersion }
  | { readonly kind: 'created'; readonly path: string }
  | { readonly kind: 'deleted'; readonly path: string; readonly original: FileVersion };

/**
 * Writes all changes or none. Every new content goes to a temporary file beside its
 * target first; only when all are written are they renamed into place (each rename is
 * atomic), then the deletions run. If any step fails, what was already done is undone
 * from the originals kept in memory, temporary files and new directories are removed,
 * and PatchWriteError says whether the rollback succeeded.
 *
 * Not fsynced: the workspace is a throwaway CI checkout, and a crash loses it anyway.
 */
export async function writeChangesAtomically(
  operations: WriteOperations,
  options: WriterOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeWriterFs;
  const uniqueId = options.uniqueId ?? (() => randomUUID().slice(0, 8));
  const temporaryFiles = new Set<string>();
  const createdDirectories: string[] = [];
  const done: Done[] = [];
  const staged = new Map<string, string>();

  try {
    for (const write of operations.writes) {
      const directory = path.dirname(write.path);
      const created = await fs.mkdir(directory, { recursive: true });
      if (created !== undefined) createdDirectories.push(...directoriesBetween(created, directory));
      const temporary = temporaryPathFor(write.path, uniqueId());
      temporaryFiles.add(temporary);
      await fs.writeFile(temporary, write.content, { flag: 'wx' });
      if (write.mode !== undefined) await fs.chmod(temporary, write.mode);
      staged.set(write.path, temporary);
    }
    for (const write of operations.writes) {
      const temporary = staged.get(write.path);
      if (temporary === undefined) throw new Error(`nothing staged for ${write.path}`);
      await fs.rename(temporary, write.path);
      temporaryFiles.delete(temporary);
      done.push(
        write.original === undefined
          ? { kind: 'created', path: write.path }
          : { kind: 'replaced', path: write.path, original: write.original },
      );
    }
    for (const deletion of operations.deletes) {
      await fs.unlink(deletion.path);
      done.push({ kind: 'deleted', path: deletion.path, original: deletion.original });
    }
  } catch (error) {
    const unrestored = await rollBack(fs, uniqueId, done);
    await removeLeftovers(fs, temporaryFiles, createdDirectories);
    const reason = error instanceof Error ? error.message : String(error);
    const names = unrestored.map((file) =>
      options.relativeTo === undefined ? file : path.relative(options.relativeTo, file),
    );
    throw new PatchWriteError(
      unrestored.length === 0
        ? `Writing the patch failed (${reason}); every change was rolled back, so no file was changed.`
        : `Writing the patch failed (${reason}), and these files could not be restored and may be left half-changed: ${names.join(', ')}.`,
      { cause: error, rolledBack: unrestored.length === 0 },
    );
  }
}

/** Undoes `done` in reverse order; returns the paths it could not restore. */
async function rollBack(
  fs: WriterFs,
  uniqueId: () => string,
  done: readonly Done[],
): Promise<string[]> {
  const unrestored: string[] = [];
  for (const step of [...done].reverse()) {
    try {
      if (step.kind === 'created') await fs.unlink(step.path);
      else await restore(fs, uniqueId, step.path, step.original);
    } catch {
      unrestored.push(step.path);
    }
  }
  return unrestored;
}

/** Puts an original back the same way new content goes in: temporary file, then rename. */
async function restore(
  fs: WriterFs,
  uniqueId: () => string,
  target: string,
  original: FileVersion,
): Promise<void> {
  const temporary = temporaryPathFor(target, uniqueId());
  try {
    await fs.writeFile(temporary, original.content, { flag: 'wx' });
    if (original.mode !== undefined) await fs.chmod(temporary, original.mode);
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.unlink(temporary).catch(() => undefined);
    throw error;
  }
}

async function removeLeftovers(
  fs: WriterFs,
  temporaryFiles: ReadonlySet<string>,
  createdDirectories: readonly string[],
): Promise<void> {
  for (const temporary of temporaryFiles) await fs.unlink(temporary).catch(() => undefined);
  // Deepest first; a directory that is not empty (someone else wrote there) stays.
  const byDepth = [...new Set(createdDirectories)].sort((a, b) => b.length - a.length);
  for (const directory of byDepth) await fs.rmdir(directory).catch(() => undefined);
}

/** Hidden, beside the target (same filesystem, so the rename is atomic), and unique. */
function temporaryPathFor(target: string, id: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.patchling-${id}.tmp`);
}

/** `top` and each directory below it down to `bottom`: all that one mkdir -p created. */
function directoriesBetween(top: string, bottom: string): string[] {
  const directories: string[] = [];
  for (let current = bottom; ; current = path.dirname(current)) {
    directories.push(current);
    if (current === top || path.dirname(current) === current) return directories;
  }
}
