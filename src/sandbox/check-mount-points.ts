import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';

/** A path bound inside the workspace; `directory`: it must be a directory (not a symlink). */
export interface MountPoint {
  readonly path: string;
  readonly directory: boolean;
}

/**
 * bubblewrap finds each bind's target afresh at every command, following symlinks, and
 * makes the missing directory there: with the host's root still reachable (at /oldroot)
 * while it sets up. A command can move away a directory above a mount point inside the
 * workspace (a shared dependency tree, a nested repository's .git) and leave a symlink in
 * its place: the next command's bwrap would then create directories, and bind, wherever on
 * the host that symlink leads. So before each command, each such path (a real path when the
 * sandbox was made) must still be reached without a symlink, and still be there.
 */
export async function checkMountPoints(
  workspace: string,
  mountPoints: readonly MountPoint[],
): Promise<void> {
  for (const { path: mountPoint, directory } of mountPoints) {
    const parent = path.dirname(mountPoint);
    const realParent = await realpath(parent).catch(() => undefined);
    const there = await lstat(mountPoint).catch(() => undefined);
    if (realParent !== parent || there === undefined || (directory && !there.isDirectory())) {
      throw new UserError(
        `The sandbox will not run another command: ${path.relative(workspace, mountPoint)} was moved or replaced by a symlink since the sandbox was made (a command moved it or a directory above it).`,
      );
    }
  }
}
