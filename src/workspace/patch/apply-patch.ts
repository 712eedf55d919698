import { realpath } from 'node:fs/promises';
import { computeFileChanges } from './compute-file-changes.js';
import type { ApplyPatchResult } from './patch-types.js';
import { parsePatch } from './parse-patch.js';
import { writeChangesAtomically, type WriterOptions } from './write-changes-atomically.js';

export interface ApplyPatchOptions extends WriterOptions {
  /** Checked before anything is written; once writing starts it runs to the end. */
  readonly signal?: AbortSignal;
}

/**
 * Applies a patch in the apply_patch format to the workspace, all or nothing: parse, then
 * compute every file's new content in memory, then write them all atomically.
 *
 * Throws PatchParseError (bad format, with the line), PatchApplyError (a hunk that does
 * not apply or a path that is refused; nothing written) or PatchWriteError (the disk
 * failed; rolled back).
 */
export async function applyPatch(
  workspace: string,
  text: string,
  options: ApplyPatchOptions = {},
): Promise<ApplyPatchResult> {
  const patch = parsePatch(text);
  const changes = await computeFileChanges(workspace, patch);
  options.signal?.throwIfAborted();
  await writeChangesAtomically(changes, { relativeTo: await realpath(workspace), ...options });
  return { changed: changes.changed };
}
