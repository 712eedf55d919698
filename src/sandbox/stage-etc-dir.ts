import { statSync } from 'node:fs';
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { SystemError, UserError } from '../errors.js';
import { isInside } from '../workspace/resolve-workspace-path.js';
import type { HostMount } from './bubblewrap-args.js';
import type { SyntheticEtcFiles } from './etc-files.js';
import { isProcessAlive } from './sandbox-cgroup.js';

const PREFIX = 'patchling-etc-';

/** The sandbox's /etc, made on the host and bound whole. */
export interface EtcStage {
  /** The host mounts still to bind one by one: all but the staged /etc entries. */
  readonly mounts: readonly HostMount[];
  /**
   * Host directory to bind read-only at /etc: made on first use, and again after remove()
   * (a sandbox used after close() still works, as its cgroups do).
   */
  dir(): Promise<string>;
  /** Removes the directory (at sandbox.close()). */
  remove(): Promise<void>;
}

export interface StageEtcOptions {
  /** The host layout's mounts; those aimed at an `etcTargets` entry are copied into the stage. */
  readonly mounts: readonly HostMount[];
  /** The /etc allowlist's targets. Extra read-only paths under /etc stay binds. */
  readonly etcTargets: ReadonlySet<string>;
  readonly files: SyntheticEtcFiles;
  /** Where the stage directory is made (os.tmpdir()). */
  readonly parentDir: string;
}

/**
 * The sandbox's /etc in one directory: the synthesized passwd, group and hosts, a copy of
 * each allowlisted /etc file (symlinks kept as symlinks), and empty mount points for the
 * allowlisted directories (`alternatives`, `ssl/certs`) and extra read-only paths under
 * /etc, which stay binds. One `--ro-bind <stage> /etc` and two directory binds then replace
 * thirteen binds and `--ro-bind-data` pipes per command: bwrap re-reads its mount table
 * after each bind (see docs/sandbox.md, "Startup cost"). Directories are not copied:
 * copying /etc/alternatives' 400 symlinks took 0.2-0.5 s per sandbox.
 *
 * What is copied is what was bound before (the allowlist, resolved by describeHostLayout),
 * as it is when the stage is made, mode kept; the directory itself is world-readable so a
 * `runAs` user can read it.
 */
export function planEtcStage(options: StageEtcOptions): EtcStage {
  let current: Promise<string> | undefined;
  return {
    // Staged: allowlisted files and symlinks. Still bound: all else, directories included.
    mounts: options.mounts.filter((mount) => !isCopied(mount, options.etcTargets)),
    dir: () => {
      current ??= makeStage(options).catch((error: unknown) => {
        current = undefined;
        throw error;
      });
      return current;
    },
    remove: async () => {
      const made = current;
      current = undefined;
      const dir = await made?.catch(() => undefined);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An allowlisted /etc entry that is a symlink or a file (copied into the stage). */
function isCopied(mount: HostMount, etcTargets: ReadonlySet<string>): boolean {
  if (!etcTargets.has(mount.target)) return false;
  if (mount.kind === 'symlink') return true;
  // describeHostLayout resolved the source; a source gone since is left to bwrap to report.
  return statSync(mount.source, { throwIfNoEntry: false })?.isDirectory() === false;
}

async function makeStage(options: StageEtcOptions): Promise<string> {
  const dir = await mkdtemp(path.join(options.parentDir, `${PREFIX}${process.pid}-`));
  try {
    await chmod(dir, 0o755);
    for (const [name, text] of Object.entries(options.files)) {
      await writeFile(path.join(dir, name), text, { mode: 0o644 });
    }
    for (const mount of options.mounts) {
      if (!mount.target.startsWith('/etc/')) continue;
      const inside = path.relative('/etc', mount.target);
      const target = path.join(dir, inside);
      await makeParents(dir, path.dirname(inside));
      if (mount.kind === 'symlink') {
        await symlink(mount.linkText, target);
        continue;
      }
      const source = await stat(mount.source);
      if (isCopied(mount, options.etcTargets)) {
        await copyFile(mount.source, target);
        await chmod(target, source.mode & 0o777);
      } else if (source.isDirectory()) {
        // Bound over this empty mount point, which bwrap cannot make once /etc is read-only.
        await mkdir(target);
      } else {
        await writeFile(target, '', { mode: 0o644 });
      }
    }
    return dir;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new SystemError(`Could not prepare the sandbox's /etc in ${dir}: ${String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Where to make the stage: the first of `candidates` (os.tmpdir(), then /tmp, /var/tmp) that
 * exists and is not inside the workspace, compared as real paths. Inside it, a command could
 * rewrite the next command's /etc through the writable workspace, and a commit of the
 * workspace would pick the stage up.
 */
export async function chooseStageParent(
  workspace: string,
  candidates: readonly string[],
): Promise<string> {
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => undefined);
    if (real !== undefined && !isInside(workspace, real)) return real;
  }
  throw new UserError(
    `The sandbox needs a temporary directory outside the workspace ${workspace} (tried ${candidates.join(', ')}): set TMPDIR to one.`,
  );
}

async function makeParents(root: string, relative: string): Promise<void> {
  if (relative === '.' || relative === '') return;
  await mkdir(path.join(root, relative), { recursive: true, mode: 0o755 });
}

/**
 * Removes stages left by Patchling processes that ended without closing their sandboxes:
 * ours only (same uid), and only when the pid in the name is gone.
 */
export async function sweepStaleEtcStages(parentDir: string): Promise<void> {
  const entries = await readdir(parentDir).catch(() => [] as string[]);
  const uid = process.getuid?.();
  await Promise.all(
    entries.map(async (entry) => {
      const match = new RegExp(`^${PREFIX}(\\d+)-[A-Za-z0-9]{6}$`).exec(entry);
      if (match === null || isProcessAlive(Number(match[1]))) return;
      const full = path.join(parentDir, entry);
      const stats = await lstat(full).catch(() => undefined);
      if (stats === undefined || !stats.isDirectory() || stats.uid !== uid) return;
      await rm(full, { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}
