import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { applyReplacements, computeReplacements } from './compute-replacements.js';
import { describeChunkFailure } from './describe-chunk-failure.js';
import {
  FileOverlay,
  findBlockingAncestor,
  type FileSlot,
  type FileVersion,
} from './file-overlay.js';
import { PatchApplyError } from './patch-errors.js';
import { ADD_FILE, DELETE_FILE, UPDATE_FILE } from './patch-markers.js';
import type { ChangedFile, ParsedPatch, PatchHunk, UpdateFileHunk } from './patch-types.js';
import { resolvePatchPath, type PatchPath } from './resolve-patch-path.js';
import { decodeTextFile, encodeTextFile, type FileLine } from './text-file.js';
import { summarizeChanges } from './summarize-changes.js';

/** A file to write: its new bytes, and what was there before (to restore on failure). */
export interface PlannedWrite {
  readonly path: string;
  readonly content: Buffer;
  /** Permission bits to set; undefined for a new file (the default, under the umask). */
  readonly mode: number | undefined;
  readonly original: FileVersion | undefined;
}

export interface PlannedDelete {
  readonly path: string;
  readonly original: FileVersion;
}

/** Everything the patch changes, computed in memory; nothing is written yet. */
export interface FileChanges {
  readonly writes: readonly PlannedWrite[];
  readonly deletes: readonly PlannedDelete[];
  readonly changed: readonly ChangedFile[];
}

/**
 * Applies every hunk to an in-memory view of the files, in patch order, and returns what
 * to write. Throws PatchApplyError, naming the hunk, at the first hunk that cannot apply:
 * then nothing has been written, nor will be.
 */
export async function computeFileChanges(
  workspace: string,
  patch: ParsedPatch,
): Promise<FileChanges> {
  const root = await realpath(workspace);
  const overlay = new FileOverlay();

  for (const [index, hunk] of patch.hunks.entries()) {
    const hunkContext = new HunkContext(hunk, index, workspace, root);
    switch (hunk.type) {
      case 'add':
        await addFile(overlay, hunkContext, hunk.contents);
        break;
      case 'delete':
        await deleteFile(overlay, hunkContext);
        break;
      case 'update':
        await updateFile(overlay, hunkContext, hunk);
        break;
      default: {
        const unknown: never = hunk;
        throw new TypeError(`unknown hunk ${JSON.stringify(unknown)}`);
      }
    }
  }

  const slots = overlay.all();
  const writes: PlannedWrite[] = [];
  const deletes: PlannedDelete[] = [];
  for (const slot of slots) {
    const { original, current } = slot;
    if (current !== undefined && !isSameVersion(original, current)) {
      writes.push({
        path: slot.path.absolute,
        content: current.content,
        mode: current.mode,
        original,
      });
    } else if (current === undefined && original !== undefined) {
      deletes.push({ path: slot.path.absolute, original });
    }
  }
  return { writes, deletes, changed: summarizeChanges(slots) };
}

/** The hunk being applied: resolves its paths and builds errors that name it. */
class HunkContext {
  readonly label: string;
  readonly hunk: PatchHunk;
  readonly index: number;
  private readonly workspace: string;
  private readonly root: string;

  constructor(hunk: PatchHunk, index: number, workspace: string, root: string) {
    this.hunk = hunk;
    this.index = index;
    this.workspace = workspace;
    this.root = root;
    const marker = { add: ADD_FILE, delete: DELETE_FILE, update: UPDATE_FILE }[hunk.type];
    this.label = `hunk ${index + 1} (${marker}${hunk.path}, patch line ${hunk.line})`;
  }

  async resolve(requested: string): Promise<PatchPath> {
    try {
      return await resolvePatchPath(this.workspace, this.root, requested);
    } catch (error) {
      throw this.error(error instanceof Error ? error.message : String(error), error);
    }
  }

  /** `absolute` relative to the workspace, for messages. */
  display(absolute: string): string {
    return path.relative(this.root, absolute).split(path.sep).join('/');
  }

  error(message: string, cause?: unknown): PatchApplyError {
    return new PatchApplyError(`${this.label}: ${message}`, {
      hunk: this.index + 1,
      path: this.hunk.path,
      cause,
    });
  }
}

/**
 * `*** Add File:` on a file that exists replaces it, as Codex does (models trained on Codex
 * rely on it), keeping the file's permission bits; anything else in the way is refused.
 */
async function addFile(overlay: FileOverlay, hunk: HunkContext, contents: string): Promise<void> {
  const slot = await overlay.slot(await hunk.resolve(hunk.hunk.path));
  const replaced = await requireWritable(slot, hunk, 'add');
  slot.current = { content: Buffer.from(contents, 'utf8'), mode: replaced?.mode };
  slot.changedBy = hunk.label;
}

async function deleteFile(overlay: FileOverlay, hunk: HunkContext): Promise<void> {
  const slot = await overlay.slot(await hunk.resolve(hunk.hunk.path));
  requireFile(slot, hunk, 'delete');
  slot.current = undefined;
  slot.changedBy = hunk.label;
}

async function updateFile(
  overlay: FileOverlay,
  hunk: HunkContext,
  update: UpdateFileHunk,
): Promise<void> {
  const source = await overlay.slot(await hunk.resolve(update.path));
  const current = requireFile(source, hunk, 'update');
  const content =
    update.chunks.length > 0 ? applyChunks(current, source, hunk, update) : current.content;

  const destination =
    update.moveTo === undefined ? source : await overlay.slot(await hunk.resolve(update.moveTo));
  if (destination === source) {
    source.current = { content, mode: current.mode };
    source.changedBy = hunk.label;
    return;
  }
  // Onto an existing file: it is replaced, as Codex does.
  await requireWritable(destination, hunk, 'move');
  destination.current = { content, mode: current.mode };
  destination.changedBy = hunk.label;
  destination.movedFrom = source;
  source.current = undefined;
  source.changedBy = hunk.label;
}

/** The file's new bytes after the hunk's chunks; throws a detailed error if one misses. */
function applyChunks(
  current: FileVersion,
  slot: FileSlot,
  hunk: HunkContext,
  update: UpdateFileHunk,
): Buffer {
  const file = decodeTextFile(current.content);
  if (file === undefined) {
    throw hunk.error(
      `${slot.path.display} is not a UTF-8 text file; apply_patch can edit only text (it can still delete or move the file without chunks).`,
    );
  }
  const lines = file.lines.map((line) => line.text);
  const result = computeReplacements(lines, update.chunks);
  if (!result.ok) {
    const message = describeChunkFailure({
      hunkLabel: hunk.label,
      path: slot.path.display,
      chunks: update.chunks,
      lines,
      failure: result.failure,
    });
    // The model may not expect an earlier hunk of its own patch to have moved the lines.
    const note =
      slot.changedBy === undefined
        ? ''
        : `\nNote: this hunk applies to ${slot.path.display} as ${slot.changedBy} of this same patch left it.`;
    throw new PatchApplyError(message + note, { hunk: hunk.index + 1, path: update.path });
  }
  const updated = applyReplacements<FileLine>(file.lines, result.replacements, (text) => ({
    text,
    ending: '',
  }));
  return encodeTextFile({ ...file, lines: updated });
}

/** The file at `slot` as it stands now; throws unless it is a regular file that exists. */
function requireFile(slot: FileSlot, hunk: HunkContext, verb: 'update' | 'delete'): FileVersion {
  const name = slot.path.display;
  if (slot.current !== undefined) return slot.current;
  if (slot.changedBy !== undefined) {
    throw hunk.error(
      `${name} no longer exists: ${slot.changedBy} removed or moved it earlier in this patch.`,
    );
  }
  switch (slot.disk) {
    case 'directory':
      throw hunk.error(`${name} is a directory; apply_patch can ${verb} only files.`);
    case 'symlink':
      throw hunk.error(
        `${name} is a symbolic link; apply_patch does not ${verb} links: change the file it points to instead.`,
      );
    case 'special':
      throw hunk.error(`${name} is not a regular file.`);
    case 'missing':
    case 'file':
      throw hunk.error(
        verb === 'update'
          ? `${name} does not exist; to create it, use "${ADD_FILE}${name}" with every line prefixed by '+'.`
          : `${name} does not exist, so it cannot be deleted.`,
      );
  }
}

/**
 * Throws unless `slot` may be written by Add File or Move to: a path that is free, or a
 * regular file that existed before the patch (which is then replaced). Returns the file
 * being replaced, if any. A path an earlier hunk of this same patch created is refused:
 * two hunks creating one file is a mistake whichever was meant to win.
 */
async function requireWritable(
  slot: FileSlot,
  hunk: HunkContext,
  verb: 'add' | 'move',
): Promise<FileVersion | undefined> {
  const name = slot.path.display;
  const what = verb === 'add' ? `cannot add ${name}` : `cannot move the file to ${name}`;
  if (slot.current !== undefined) {
    if (slot.original === undefined) {
      throw hunk.error(
        `${what}: ${slot.changedBy ?? 'an earlier hunk'} already creates it in this patch.`,
      );
    }
    return slot.current;
  }
  if (slot.changedBy === undefined && slot.disk !== 'missing' && slot.disk !== 'file') {
    const kind =
      slot.disk === 'special'
        ? 'a special file'
        : `a ${slot.disk === 'symlink' ? 'symbolic link' : 'directory'}`;
    throw hunk.error(`${what}: ${name} already exists as ${kind}.`);
  }
  const blocking = await findBlockingAncestor(slot.path.absolute);
  if (blocking !== undefined) {
    throw hunk.error(`${what}: ${hunk.display(blocking)} is a file, not a directory.`);
  }
  return undefined;
}

function isSameVersion(a: FileVersion | undefined, b: FileVersion): boolean {
  return a !== undefined && a.mode === b.mode && a.content.equals(b.content);
}
