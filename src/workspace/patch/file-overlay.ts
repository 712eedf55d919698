import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PatchPath } from './resolve-patch-path.js';

/** A file's bytes and permission bits. */
export interface FileVersion {
  readonly content: Buffer;
  /** Permission bits to keep (an executable stays executable); undefined for new files. */
  readonly mode: number | undefined;
}

/** What is at a path on disk before the patch. */
export type DiskEntry = 'missing' | 'file' | 'directory' | 'symlink' | 'special';

/** One path the patch touches: what the disk has, and what the hunks so far made of it. */
export interface FileSlot {
  readonly path: PatchPath;
  readonly disk: DiskEntry;
  /** The regular file on disk before the patch, if there is one. */
  readonly original: FileVersion | undefined;
  /** The file after the hunks applied so far; undefined when it does not exist (now). */
  current: FileVersion | undefined;
  /** Label of the hunk that last changed this path, for messages. */
  changedBy: string | undefined;
  /** Set on the destination of `*** Move to:`. */
  movedFrom: FileSlot | undefined;
}

/**
 * The files as the patch sees them while its hunks are computed: reads from disk once per
 * path, then keeps every change in memory. Nothing is written until every hunk applied,
 * and a path touched twice sees the first hunk's result (an update after an add, say).
 */
export class FileOverlay {
  private readonly slots = new Map<string, FileSlot>();

  async slot(target: PatchPath): Promise<FileSlot> {
    const known = this.slots.get(target.absolute);
    if (known !== undefined) return known;
    const { disk, original } = await readDiskEntry(target.absolute);
    const slot: FileSlot = {
      path: target,
      disk,
      original,
      current: original,
      changedBy: undefined,
      movedFrom: undefined,
    };
    this.slots.set(target.absolute, slot);
    return slot;
  }

  /** Every touched path, in the order the patch first named them. */
  all(): readonly FileSlot[] {
    return [...this.slots.values()];
  }
}

async function readDiskEntry(
  absolute: string,
): Promise<{ disk: DiskEntry; original: FileVersion | undefined }> {
  const stats = await lstat(absolute).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (stats === undefined) return { disk: 'missing', original: undefined };
  if (stats.isSymbolicLink()) return { disk: 'symlink', original: undefined };
  if (stats.isDirectory()) return { disk: 'directory', original: undefined };
  if (!stats.isFile()) return { disk: 'special', original: undefined };
  const content = await readFile(absolute);
  return { disk: 'file', original: { content, mode: stats.mode & 0o7777 } };
}

/**
 * The nearest existing ancestor of `absolute` when it is not a directory (a file where the
 * patch needs a folder), else undefined: new files may be created there.
 */
export async function findBlockingAncestor(absolute: string): Promise<string | undefined> {
  for (let current = path.dirname(absolute); ; current = path.dirname(current)) {
    const stats = await lstat(current).catch(() => undefined);
    if (stats !== undefined) return stats.isDirectory() ? undefined : current;
    if (path.dirname(current) === current) return undefined;
  }
}
