import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { WorkspacePathError, resolveWorkspacePath } from '../workspace/resolve-workspace-path.js';
import type { ToolOutcome } from './types.js';

export type LocatedEntry =
  | { readonly ok: true; readonly absolute: string; readonly stats: Stats }
  | { readonly ok: false; readonly outcome: ToolOutcome };

/**
 * A path the model gave, confined to the workspace and looked up: the absolute path and
 * its stats, or the failure told the way the model can act on ("No such file: x.").
 * Errors other than a bad path or a missing entry are thrown.
 */
export async function locateEntry(
  workspace: string,
  requested: string,
  noun: 'file' | 'directory',
  verb: 'read' | 'list',
): Promise<LocatedEntry> {
  let absolute: string;
  try {
    absolute = await resolveWorkspacePath(workspace, requested);
  } catch (error) {
    if (error instanceof WorkspacePathError) return failed(error.message);
    throw error;
  }
  const stats = await stat(absolute).catch((error: unknown) => error as NodeJS.ErrnoException);
  if (stats instanceof Error) {
    return failed(
      stats.code === 'ENOENT' || stats.code === 'ENOTDIR'
        ? `No such ${noun}: ${requested}.`
        : `Cannot ${verb} ${requested}: ${describeError(stats)}`,
    );
  }
  return { ok: true, absolute, stats };
}

function failed(output: string): LocatedEntry {
  return { ok: false, outcome: { ok: false, output } };
}
