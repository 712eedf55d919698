import { execFile } from 'node:child_process';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SystemError } from '../../errors.js';
import type { WorkspaceMount } from '../../sandbox/bubblewrap-args.js';
import { listSharedDependencyDirs } from './shared-dependency-dirs.js';

const run = promisify(execFile);
/** Paths per `cp` invocation, well under any argument-length limit. */
const CP_BATCH = 200;

export interface ScratchCopy {
  /** Real path of the copy. */
  readonly dir: string;
  /**
   * Dependency trees not copied (shareDependencies): each an empty directory in the copy,
   * to be shown read-only from the original checkout in the sandbox (createSandbox's
   * `workspaceMounts`). Empty for a full copy.
   */
  readonly sharedReadOnly: readonly WorkspaceMount[];
  /** Removes the copy and its parent; safe to call twice. */
  remove(): Promise<void>;
}

export interface ScratchCopyOptions {
  /**
   * Leave the dependency trees git ignores (node_modules, .venv, vendor, …; see
   * shared-dependency-dirs.ts) out of the copy, to be mounted read-only instead: a prover
   * can use them but change neither them nor the checkout they belong to.
   */
  readonly shareDependencies?: boolean;
}

/**
 * A throwaway copy of `workspace` (.git included: a check may ask git what changed).
 * `cp -a --reflink=auto` shares the blocks on filesystems that can (btrfs, xfs), so even
 * a large checkout copies in moments there; elsewhere it is a plain copy, which is why
 * `shareDependencies` leaves the (usually largest) dependency trees out. Node's own
 * recursive copy is the fallback where GNU cp is missing.
 */
export async function makeScratchCopy(
  workspace: string,
  parent: string = os.tmpdir(),
  options: ScratchCopyOptions = {},
): Promise<ScratchCopy> {
  const source = await realpath(workspace);
  const base = await realpath(await mkdtemp(path.join(parent, 'patchling-verify-')));
  const remove = () => rm(base, { recursive: true, force: true });
  // Traversable (not listable): a sandbox running as another user must reach the copy.
  await chmod(base, 0o711);
  const dir = path.join(base, 'head');
  try {
    const shared = options.shareDependencies ? await listSharedDependencyDirs(source) : [];
    if (shared.length === 0) await copyTree(source, dir);
    else await copyTreeExcept(source, dir, shared);
    return {
      dir,
      sharedReadOnly: shared.map((relative) => ({
        source: path.join(source, relative),
        target: path.join(dir, relative),
      })),
      remove,
    };
  } catch (error) {
    await remove();
    throw new SystemError(`Could not copy the workspace for verification: ${String(error)}`, {
      cause: error,
    });
  }
}

async function copyTree(source: string, target: string): Promise<void> {
  try {
    await run('cp', ['-a', '--reflink=auto', '--', source, target], { maxBuffer: 1024 * 1024 });
    return;
  } catch {
    // Not GNU cp (or none): retry with Node, from a clean slate.
    await rm(target, { recursive: true, force: true });
  }
  await cp(source, target, NODE_CP);
}

const NODE_CP = {
  recursive: true,
  verbatimSymlinks: true,
  preserveTimestamps: true,
  errorOnExist: true,
  force: false,
} as const;

/**
 * The copy without the `shared` directories (relative paths), each left as an empty
 * directory (a mount point). Only the directories on the way to a shared one are walked
 * here; everything else goes to `cp -a` in batches.
 */
async function copyTreeExcept(
  source: string,
  target: string,
  shared: readonly string[],
): Promise<void> {
  const sharedSet = new Set(shared);
  const walk = async (relative: string): Promise<void> => {
    const from = path.join(source, relative);
    const to = path.join(target, relative);
    await mkdir(to);
    await chmod(to, (await lstat(from)).mode & 0o7777);
    const plain: string[] = [];
    for (const name of await readdir(from)) {
      const child = relative === '' ? name : `${relative}/${name}`;
      if (sharedSet.has(child)) {
        await mkdir(path.join(target, child));
      } else if (shared.some((dir) => dir.startsWith(`${child}/`))) {
        await walk(child);
      } else {
        plain.push(path.join(from, name));
      }
    }
    for (let start = 0; start < plain.length; start += CP_BATCH) {
      await copyEntries(plain.slice(start, start + CP_BATCH), to);
    }
  };
  await walk('');
}

async function copyEntries(entries: readonly string[], into: string): Promise<void> {
  try {
    await run('cp', ['-a', '--reflink=auto', '--', ...entries, `${into}/`], {
      maxBuffer: 1024 * 1024,
    });
    return;
  } catch {
    // Not GNU cp: Node's copy, entry by entry, over whatever cp left.
  }
  for (const entry of entries) {
    const target = path.join(into, path.basename(entry));
    await rm(target, { recursive: true, force: true });
    await cp(entry, target, NODE_CP);
  }
}
