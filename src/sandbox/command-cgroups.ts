import path from 'node:path';
import { CONTROL_FILE } from './cgroup-tree.js';
import type { MemoryLimitStrategy } from './memory-limit.js';
import { memoryCgroupSettings, readOomKills } from './memory-limit.js';
import type { ProcessLimitStrategy } from './process-limit.js';
import { SandboxCgroup } from './sandbox-cgroup.js';
import type { CgroupSetting } from './sandbox-cgroup.js';
import type { CommandResult, SandboxLimits } from './types.js';

/** One command's place in the sandbox's cgroups, from its start to its result. */
export interface CgroupLease {
  /** cgroup.procs files the launcher joins before it starts bwrap. */
  readonly procsFiles: readonly string[];
  /** The result, marked when the OOM killer struck in the command's memory cgroup. */
  finish(result: CommandResult): Promise<CommandResult>;
  release(): void;
}

export interface CommandCgroups {
  enter(): Promise<CgroupLease>;
  close(): Promise<void>;
}

interface Planned {
  readonly cgroup: SandboxCgroup;
  /** Set on the cgroup that holds the memory limit. */
  readonly memoryVersion?: 1 | 2;
}

/**
 * The cgroups a sandbox's commands join: pids (process limit) and memory, as the host
 * allows. On cgroup v1 each controller is its own hierarchy, so a command joins two; on
 * v2 both limits live in one cgroup when they share a parent.
 */
export function createCommandCgroups(
  processLimit: ProcessLimitStrategy,
  memoryLimit: MemoryLimitStrategy,
  limits: SandboxLimits,
  onWarning: (message: string) => void,
): CommandCgroups {
  const wanted: { parent: string; settings: CgroupSetting[]; memoryVersion?: 1 | 2 }[] = [];
  if (processLimit.kind === 'cgroup') {
    wanted.push({
      parent: processLimit.parent,
      settings: [[CONTROL_FILE.pids[processLimit.version], String(limits.maxProcesses)]],
    });
  }
  if (memoryLimit.kind === 'cgroup') {
    const settings = memoryCgroupSettings(memoryLimit.version, limits.maxMemoryBytes);
    const shared = wanted.find(
      (entry) => memoryLimit.version === 2 && entry.parent === memoryLimit.parent,
    );
    if (shared !== undefined) {
      shared.settings.push(...settings);
      shared.memoryVersion = 2;
    } else {
      wanted.push({
        parent: memoryLimit.parent,
        settings: [...settings],
        memoryVersion: memoryLimit.version,
      });
    }
  }
  const planned: Planned[] = wanted.map((entry) => ({
    cgroup: new SandboxCgroup(entry.parent, entry.settings, onWarning),
    ...(entry.memoryVersion === undefined ? {} : { memoryVersion: entry.memoryVersion }),
  }));

  const enter = async (): Promise<CgroupLease> => {
    const held: SandboxCgroup[] = [];
    const release = (): void => held.splice(0).forEach((cgroup) => cgroup.release());
    try {
      const procsFiles: string[] = [];
      let memory: { version: 1 | 2; dir: string; killsBefore: number } | undefined;
      for (const entry of planned) {
        const dir = await entry.cgroup.acquire();
        held.push(entry.cgroup);
        procsFiles.push(path.join(dir, 'cgroup.procs'));
        if (entry.memoryVersion !== undefined) {
          const version = entry.memoryVersion;
          memory = { version, dir, killsBefore: await readOomKills(version, dir) };
        }
      }
      const finish = async (result: CommandResult): Promise<CommandResult> => {
        // Whatever the exit code: a script may carry on after one of its processes was killed.
        if (memory === undefined) return result;
        const killed = (await readOomKills(memory.version, memory.dir)) > memory.killsBefore;
        return killed ? { ...result, memoryLimitExceeded: true } : result;
      };
      return { procsFiles, finish, release };
    } catch (error) {
      release();
      throw error;
    }
  };

  const close = async (): Promise<void> => {
    await Promise.all(planned.map((entry) => entry.cgroup.close()));
  };
  return { enter, close };
}
