import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../../errors.js';
import { isInside, resolveWorkspacePath } from '../../workspace/resolve-workspace-path.js';
import type { Finding } from './finding.js';
import { replaceLines } from './replace-lines.js';

/** Larger files are not suggested into: a review comment on them is enough. */
export const MAX_SUGGESTION_FILE_BYTES = 2 * 1024 * 1024;

/** A suggestion that applies cleanly to the head, ready to write into a scratch copy. */
export interface PreparedSuggestion {
  /** The file's real path relative to the workspace: no symlinks, no `..`. */
  readonly relativePath: string;
  readonly original: Buffer;
  readonly updated: string;
  /** Permission bits, restored with the bytes. */
  readonly mode: number;
}

export type PrepareResult =
  | { readonly ok: true; readonly prepared: PreparedSuggestion }
  | { readonly ok: false; readonly reason: string };

/**
 * Applies a finding's suggestion in memory to the file in `workspace`, which is only read.
 * The path is the model's: it goes through resolveWorkspacePath (as a write, so .git and
 * links out are refused) and is then pinned to the real file it names.
 */
export async function prepareSuggestion(
  workspace: string,
  finding: Finding,
): Promise<PrepareResult> {
  if (finding.suggestion === null) return { ok: false, reason: 'no suggestion' };
  let real: string;
  let root: string;
  try {
    root = await realpath(workspace);
    const resolved = await resolveWorkspacePath(root, finding.path, { forWrite: true });
    real = await realpath(resolved);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ok: false,
      reason: missing ? `${finding.path} does not exist in the head` : describeError(error),
    };
  }
  if (!isInside(root, real) || real === root) {
    return { ok: false, reason: `${finding.path} is not a file in the workspace` };
  }
  const info = await stat(real);
  if (!info.isFile()) return { ok: false, reason: `${finding.path} is not a regular file` };
  if (info.size > MAX_SUGGESTION_FILE_BYTES) {
    return { ok: false, reason: `${finding.path} is too large (${info.size} bytes)` };
  }
  const original = await readFile(real);
  const text = decodeText(original);
  if (text === undefined) return { ok: false, reason: `${finding.path} is not UTF-8 text` };

  const replaced = replaceLines(text, finding.start_line, finding.end_line, finding.suggestion);
  if (!replaced.ok) return { ok: false, reason: replaced.reason };
  if (!replaced.changed) return { ok: false, reason: 'no change' };
  return {
    ok: true,
    prepared: {
      relativePath: path.relative(root, real),
      original,
      updated: replaced.text,
      mode: info.mode & 0o7777,
    },
  };
}

function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
