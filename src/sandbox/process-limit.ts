import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';

/**
 * How the sandbox caps the number of processes a command may have.
 * - rlimit: RLIMIT_NPROC. The kernel ignores it when the real uid is host root (and our
 *   uid 1000 inside maps to root then), so this only holds when bwrap runs as a non-root
 *   host uid. It is counted per user namespace (each command has its own budget) and,
 *   through the namespace's creator, against the host user's total as well.
 * - cgroup: a pids cgroup per sandbox (cgroup v2 pids.max, or the v1 pids hierarchy),
 *   which holds for root too. Needs a writable cgroup tree with the pids controller.
 * - none: root without a usable cgroup: only the timeout stops a fork bomb.
 */
export type ProcessLimitStrategy =
  | { readonly kind: 'rlimit' }
  | { readonly kind: 'cgroup'; readonly version: 1 | 2; readonly parent: string }
  | { readonly kind: 'none'; readonly reason: string };

export interface DetectProcessLimitOptions {
  /** The host uid bwrap will run as. */
  readonly hostUid: number;
  /**
   * A cgroup directory prepared for Patchling (cgroup v2: delegated, with no processes of
   * its own). Default: our own cgroup, which works on cgroup v1 and at a v2 root.
   */
  readonly cgroupParent?: string;
  /** Where to read self/cgroup and self/mountinfo; tests point it elsewhere. */
  readonly procDir?: string;
}

export async function detectProcessLimit(
  options: DetectProcessLimitOptions,
): Promise<ProcessLimitStrategy> {
  if (options.hostUid !== 0) return { kind: 'rlimit' };
  if (options.cgroupParent !== undefined) {
    const parent = path.resolve(options.cgroupParent);
    const version = (await exists(path.join(parent, 'cgroup.controllers'))) ? 2 : 1;
    if (await isUsable({ version, parent })) return { kind: 'cgroup', version, parent };
    throw new UserError(
      `cgroupParent ${parent} cannot hold Patchling's pids cgroups: it must exist, be writable, ` +
        'and offer the pids controller (on cgroup v2: `+pids` in its cgroup.subtree_control, ' +
        'which needs it to hold no processes itself).',
    );
  }
  const procDir = options.procDir ?? '/proc';
  const [cgroups, mountinfo] = await Promise.all([
    readFile(path.join(procDir, 'self/cgroup'), 'utf8').catch(() => ''),
    readFile(path.join(procDir, 'self/mountinfo'), 'utf8').catch(() => ''),
  ]);
  for (const candidate of findPidsCgroups(cgroups, mountinfo)) {
    if (await isUsable(candidate)) return { kind: 'cgroup', ...candidate };
  }
  return {
    kind: 'none',
    reason:
      'running as root without a writable pids cgroup, so the process limit cannot be enforced ' +
      '(RLIMIT_NPROC does not apply to root); a fork bomb is stopped only by the timeout. ' +
      'Run Patchling as a non-root user, give it a writable cgroup, or set runAs.',
  };
}

export interface PidsCgroupCandidate {
  readonly version: 1 | 2;
  /** The host directory under which each sandbox makes its cgroup. */
  readonly parent: string;
}

/** Where our pids cgroup lives, from /proc/self/cgroup and /proc/self/mountinfo. v2 first. */
export function findPidsCgroups(procSelfCgroup: string, mountinfo: string): PidsCgroupCandidate[] {
  const mounts = parseCgroupMounts(mountinfo);
  const found: PidsCgroupCandidate[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, id, controllers = '', cgroupPath = '/'] = match;
    const v2 = id === '0' && controllers === '';
    if (!v2 && !controllers.split(',').includes('pids')) continue;
    for (const mount of mounts) {
      if (
        v2 ? mount.type !== 'cgroup2' : mount.type !== 'cgroup' || !mount.options.includes('pids')
      ) {
        continue;
      }
      // The mount shows the hierarchy from mount.root down (cgroup namespaces, bind mounts).
      const relative = path.posix.relative(mount.root, cgroupPath);
      if (relative.startsWith('..')) continue;
      found.push({ version: v2 ? 2 : 1, parent: path.posix.join(mount.mountPoint, relative) });
    }
  }
  return found.sort((a, b) => b.version - a.version);
}

interface CgroupMount {
  readonly root: string;
  readonly mountPoint: string;
  readonly type: string;
  readonly options: readonly string[];
}

function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional...] - type source superoptions
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [type, , superOptions = ''] = right.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    mounts.push({
      root: unescapeMountPath(root),
      mountPoint: unescapeMountPath(mountPoint),
      type,
      options: superOptions.split(','),
    });
  }
  return mounts;
}

function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/** Proves the tree is writable and has pids.max by making and removing a child cgroup. */
async function isUsable(candidate: PidsCgroupCandidate): Promise<boolean> {
  if (candidate.version === 2 && !(await enablePidsController(candidate.parent))) return false;
  const probe = path.join(candidate.parent, `patchling-probe-${process.pid}-${Date.now()}`);
  try {
    await mkdir(probe);
  } catch {
    return false;
  }
  try {
    await access(path.join(probe, 'pids.max'));
    await access(path.join(probe, 'cgroup.procs'));
    return true;
  } catch {
    return false;
  } finally {
    await rmdir(probe).catch(() => undefined);
  }
}

// v2 only gives children a controller the parent lists in cgroup.subtree_control. Writing
// it fails (EBUSY) when the parent holds processes and is not the root: then we give up
// rather than move our own process around.
async function enablePidsController(parent: string): Promise<boolean> {
  const control = path.join(parent, 'cgroup.subtree_control');
  const current = await readFile(control, 'utf8').catch(() => undefined);
  if (current === undefined) return false;
  if (current.split(/\s+/).includes('pids')) return true;
  try {
    await writeFile(control, '+pids');
    return true;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
