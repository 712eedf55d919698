import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SystemError } from '../../errors.js';

const run = promisify(execFile);

export interface ScratchCopy {
  /** Real path of the copy. */
  readonly dir: string;
  /** Removes the copy and its parent; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * A throwaway copy of `workspace` (.git included: a check may ask git what changed).
 * `cp -a --reflink=auto` shares the blocks on filesystems that can (btrfs, xfs), so even
 * a large checkout copies in moments there; elsewhere it is a plain copy. Node's own
 * recursive copy is the fallback where GNU cp is missing.
 */
export async function makeScratchCopy(
  workspace: string,
  parent: string = os.tmpdir(),
): Promise<ScratchCopy> {
  const source = await realpath(workspace);
  const base = await realpath(await mkdtemp(path.join(parent, 'patchling-verify-')));
  const remove = () => rm(base, { recursive: true, force: true });
  // Traversable (not listable): a sandbox running as another user must reach the copy.
  await chmod(base, 0o711);
  const dir = path.join(base, 'head');
  try {
    await copyTree(source, dir);
  } catch (error) {
    await remove();
    throw new SystemError(`Could not copy the workspace for verification: ${String(error)}`, {
      cause: error,
    });
  }
  return { dir, remove };
}

async function copyTree(source: string, target: string): Promise<void> {
  try {
    await run('cp', ['-a', '--reflink=auto', '--', source, target], { maxBuffer: 1024 * 1024 });
    return;
  } catch {
    // Not GNU cp (or none): retry with Node, from a clean slate.
    await rm(target, { recursive: true, force: true });
  }
  await cp(source, target, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    errorOnExist: true,
    force: false,
  });
}
