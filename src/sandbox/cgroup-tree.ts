import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The cgroup controllers the sandbox uses: one hierarchy each on v1, one tree on v2. */
export type CgroupController = 'pids' | 'memory';

/** The file that sets the controller's limit in a child cgroup, per cgroup version. */
export const CONTROL_FILE: Readonly<Record<CgroupController, Readonly<Record<1 | 2, string>>>> = {
  pids: { 1: 'pids.max', 2: 'pids.max' },
  memory: { 1: 'memory.limit_in_bytes', 2: 'memory.max' },
};

export interface CgroupCandidate {
  readonly version: 1 | 2;
  /** The host directory under which each sandbox makes its cgroup. */
  readonly parent: string;
}

/** Where our cgroup for `controller` lives, from /proc/self/cgroup and /proc/self/mountinfo. v2 first. */
export function findControllerCgroups(
  controller: CgroupController,
  procSelfCgroup: string,
  mountinfo: string,
): CgroupCandidate[] {
  const mounts = parseCgroupMounts(mountinfo);
  const found: CgroupCandidate[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, id, controllers = '', cgroupPath = '/'] = match;
    const v2 = id === '0' && controllers === '';
    if (!v2 && !controllers.split(',').includes(controller)) continue;
    for (const mount of mounts) {
      if (
        v2
          ? mount.type !== 'cgroup2'
          : mount.type !== 'cgroup' || !mount.options.includes(controller)
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

/** Proves the tree is writable and offers `controller` by making and removing a child cgroup. */
export async function isUsableCgroupParent(
  controller: CgroupController,
  candidate: CgroupCandidate,
): Promise<boolean> {
  if (candidate.version === 2 && !(await enableController(candidate.parent, controller))) {
    return false;
  }
  // Random, not a timestamp: two sandboxes made in the same millisecond (concurrent review
  // batches, two jobs) would race for one name, and the loser would run without a limit.
  const probe = path.join(candidate.parent, `patchling-probe-${process.pid}-${randomUUID()}`);
  try {
    await mkdir(probe);
  } catch {
    return false;
  }
  try {
    await access(path.join(probe, CONTROL_FILE[controller][candidate.version]));
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
async function enableController(parent: string, controller: CgroupController): Promise<boolean> {
  const control = path.join(parent, 'cgroup.subtree_control');
  const current = await readFile(control, 'utf8').catch(() => undefined);
  if (current === undefined) return false;
  if (current.split(/\s+/).includes(controller)) return true;
  try {
    await writeFile(control, `+${controller}`);
    return true;
  } catch {
    return false;
  }
}
