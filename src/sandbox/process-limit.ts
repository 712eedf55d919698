import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { findControllerCgroups, isUsableCgroupParent } from './cgroup-tree.js';
import type { CgroupCandidate } from './cgroup-tree.js';

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
    if (await isUsableCgroupParent('pids', { version, parent }))
      return { kind: 'cgroup', version, parent };
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
    if (await isUsableCgroupParent('pids', candidate)) return { kind: 'cgroup', ...candidate };
  }
  return {
    kind: 'none',
    reason:
      'running as root without a writable pids cgroup, so the process limit cannot be enforced ' +
      '(RLIMIT_NPROC does not apply to root); a fork bomb is stopped only by the timeout. ' +
      'Run Patchling as a non-root user, give it a writable cgroup, or set runAs.',
  };
}

/** Where our pids cgroup lives, from /proc/self/cgroup and /proc/self/mountinfo. v2 first. */
export function findPidsCgroups(procSelfCgroup: string, mountinfo: string): CgroupCandidate[] {
  return findControllerCgroups('pids', procSelfCgroup, mountinfo);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
