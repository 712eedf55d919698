import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findControllerCgroups, isUsableCgroupParent } from './cgroup-tree.js';
import type { CgroupSetting } from './sandbox-cgroup.js';

/**
 * How the sandbox caps a command's memory.
 * - cgroup: a memory cgroup per sandbox (v2 memory.max with no swap, or the v1 memory
 *   hierarchy's limit_in_bytes and memsw). What is resident counts, tmpfs pages written by
 *   the command included; past the limit the kernel's OOM killer kills inside the cgroup
 *   only, and Patchling reads the kill from the cgroup's counters.
 * - rlimit: RLIMIT_AS (`ulimit -v`), when no memory cgroup is writable (a non-root user
 *   without a delegated tree). It caps address space, not resident memory: an allocation
 *   past it fails (ENOMEM) rather than being killed, and runtimes that reserve large
 *   address ranges (JVMs, WebAssembly) need a higher value.
 */
export type MemoryLimitStrategy =
  | { readonly kind: 'cgroup'; readonly version: 1 | 2; readonly parent: string }
  | { readonly kind: 'rlimit' };

export interface DetectMemoryLimitOptions {
  /** A prepared cgroup directory (see docs/sandbox.md); used when it offers memory. */
  readonly cgroupParent?: string;
  /** Where to read self/cgroup and self/mountinfo; tests point it elsewhere. */
  readonly procDir?: string;
}

export async function detectMemoryLimit(
  options: DetectMemoryLimitOptions = {},
): Promise<MemoryLimitStrategy> {
  if (options.cgroupParent !== undefined) {
    const parent = path.resolve(options.cgroupParent);
    for (const version of [2, 1] as const) {
      if (await isUsableCgroupParent('memory', { version, parent })) {
        return { kind: 'cgroup', version, parent };
      }
    }
    return { kind: 'rlimit' };
  }
  const procDir = options.procDir ?? '/proc';
  const [cgroups, mountinfo] = await Promise.all([
    readFile(path.join(procDir, 'self/cgroup'), 'utf8').catch(() => ''),
    readFile(path.join(procDir, 'self/mountinfo'), 'utf8').catch(() => ''),
  ]);
  for (const candidate of findControllerCgroups('memory', cgroups, mountinfo)) {
    if (await isUsableCgroupParent('memory', candidate)) return { kind: 'cgroup', ...candidate };
  }
  return { kind: 'rlimit' };
}

/** The settings a sandbox's memory cgroup is made with, in the order they must be written. */
export function memoryCgroupSettings(
  version: 1 | 2,
  maxMemoryBytes: number,
): readonly CgroupSetting[] {
  const bytes = String(maxMemoryBytes);
  // No swap either: a limit that spills into swap only slows the host down. The swap files
  // exist only where the kernel accounts swap; elsewhere there is nothing to add.
  return version === 2
    ? [
        ['memory.max', bytes],
        ['memory.swap.max', '0', 'optional'],
      ]
    : [
        ['memory.limit_in_bytes', bytes],
        ['memory.memsw.limit_in_bytes', bytes, 'optional'],
      ];
}

/** How many times the OOM killer has killed in the cgroup `dir` so far. */
export async function readOomKills(version: 1 | 2, dir: string): Promise<number> {
  const file = path.join(dir, version === 2 ? 'memory.events' : 'memory.oom_control');
  const text = await readFile(file, 'utf8').catch(() => '');
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match === null ? 0 : Number(match[1]);
}
