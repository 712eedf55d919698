import { execFile } from 'node:child_process';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SystemError } from '../errors.js';
import type { WorkspaceHazard } from './find-workspace-hazards.js';

/**
 * Makes each hazard harmless and says what was done, one sentence per hazard, with paths
 * relative to `root`: repositories and special files are removed (nothing of theirs may
 * be committed or left for the host's git), set-id bits are cleared (the file stays).
 * Nothing here follows a symlink: rm does not, and set-id hazards are never symlinks.
 */
export async function neutraliseWorkspaceHazards(
  root: string,
  hazards: readonly WorkspaceHazard[],
): Promise<string[]> {
  const notes: string[] = [];
  for (const hazard of hazards) {
    const shown = JSON.stringify(path.relative(root, hazard.path) || '.');
    switch (hazard.kind) {
      case 'repository':
        await rm(hazard.location, { recursive: true, force: true });
        notes.push(
          `Removed the nested git repository ${shown}: only the workspace's own .git may exist, ` +
            "since Patchling's git (and the user's) would run its config, hooks and filters on the host.",
        );
        break;
      case 'special':
        await rm(hazard.location, { force: true });
        notes.push(
          `Removed the ${hazard.type === 'fifo' ? 'FIFO' : hazard.type} ${shown}: FIFOs, sockets and device nodes may not be left in the workspace.`,
        );
        break;
      case 'set-id':
        await chmod(hazard.location, hazard.mode & ~0o6000);
        notes.push(
          `Cleared the set-uid/set-gid bits of ${shown} (mode ${(hazard.mode & ~0o6000).toString(8)}): set-id files may not be left in the workspace.`,
        );
        break;
      case 'unreachable':
        await removeFrom(hazard.parent, hazard.name);
        notes.push(
          `Removed ${shown}: it holds paths longer than the host can inspect (PATH_MAX), which may not be left in the workspace.`,
        );
        break;
      default: {
        const unknown: never = hazard;
        throw new Error(`Unknown hazard ${JSON.stringify(unknown)}`);
      }
    }
  }
  return notes;
}

const execFileAsync = promisify(execFile);

/**
 * Removes `name` and everything below it, from its parent directory (whose path is
 * addressable even when those below are not): GNU rm and chmod walk relative to each
 * directory, so depth does not stop them, and chmod first makes unlistable directories
 * listable.
 */
async function removeFrom(parent: Buffer, name: Buffer): Promise<void> {
  const cwd = parent.toString('utf8');
  const entry = name.toString('utf8');
  if (!Buffer.from(cwd).equals(parent) || !Buffer.from(entry).equals(name)) {
    throw new SystemError(`Cannot remove ${cwd}/${entry}: its path is not valid UTF-8`);
  }
  const env = { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  await execFileAsync('chmod', ['-R', 'u+rwX', '--', entry], { cwd, env }).catch(() => undefined);
  try {
    await execFileAsync('rm', ['-rf', '--', entry], { cwd, env });
  } catch (error) {
    throw new SystemError(`Could not remove ${cwd}/${entry}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
