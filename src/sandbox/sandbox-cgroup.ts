import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A file written when the cgroup is made; an optional one may be missing (swap accounting off). */
export type CgroupSetting = readonly [file: string, value: string, optional?: 'optional'];

/**
 * One cgroup (pids, memory, or both on v2) shared by the commands of a sandbox: made on first use, retired once
 * the sandbox has been idle a moment, or on close. A cgroup per command would be simpler,
 * but making and retiring one costs 5-10 ms of kernel time per command on cgroup v1, most
 * of the startup budget; joining an existing one costs well under 1 ms.
 *
 * Its limits (maxProcesses, maxMemoryBytes) are shared by a sandbox's commands running at
 * the same time. Killing is the pid namespace's job (when its init dies the
 * kernel kills the rest), so a timeout in one command never touches another.
 */
const PREFIX = 'patchling-';

export class SandboxCgroup {
  private current: Promise<string> | undefined;
  private users = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly removals = new Set<Promise<void>>();

  constructor(
    private readonly parent: string,
    private readonly settings: readonly CgroupSetting[],
    private readonly onWarning: (message: string) => void,
    private readonly idleMs = 2000,
  ) {}

  /** The cgroup's directory; a command's launcher joins its cgroup.procs. Pair every call with release(). */
  async acquire(): Promise<string> {
    this.users++;
    this.clearIdleTimer();
    try {
      this.current ??= this.create();
      return await this.current;
    } catch (error) {
      this.users--;
      this.current = undefined;
      throw error;
    }
  }

  release(): void {
    this.users--;
    if (this.users > 0) return;
    this.idleTimer = setTimeout(() => this.retire(), this.idleMs);
    // An idle sandbox must not keep the process alive just to tidy up.
    this.idleTimer.unref();
  }

  /** Retires the cgroup now and waits until it is gone; its processes are killed. */
  async close(): Promise<void> {
    this.clearIdleTimer();
    this.retire(true);
    await Promise.all(this.removals);
  }

  private async create(): Promise<string> {
    const dir = path.join(this.parent, `${PREFIX}${process.pid}-${randomUUID().slice(0, 8)}`);
    await mkdir(dir);
    try {
      for (const [file, value, optional] of this.settings) {
        await writeFile(path.join(dir, file), value).catch((error: unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (optional === undefined || code !== 'ENOENT') throw error;
        });
      }
    } catch (error) {
      await rmdir(dir).catch(() => undefined);
      throw error;
    }
    return dir;
  }

  // Forgets the cgroup first, so a command starting meanwhile makes a fresh one and never
  // joins one that is being removed.
  private retire(force = false): void {
    this.idleTimer = undefined;
    if (this.current === undefined || (this.users > 0 && !force)) return;
    const retired = this.current;
    this.current = undefined;
    const removal: Promise<void> = retired
      .then(
        (dir) => removeCgroup(dir, this.onWarning),
        () => undefined,
      )
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

async function removeCgroup(dir: string, onWarning: (message: string) => void): Promise<void> {
  for (let attempt = 0; attempt < 80; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') {
        onWarning(`Could not remove the sandbox cgroup ${dir}: ${code ?? String(error)}.`);
        return;
      }
    }
    // EBUSY: processes of finished commands not yet reaped. Nothing may start in a
    // retired cgroup, so whatever is left is a straggler.
    await killMembers(dir);
    await sleep(25);
  }
  onWarning(`Could not remove the sandbox cgroup ${dir}: still busy.`);
}

async function killMembers(dir: string): Promise<void> {
  const text = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const pid = Number(line);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Removes empty cgroups left by Patchling processes that have exited (a process that ends
 * without closing its sandboxes leaves one behind). The pid in the name must be dead;
 * a cgroup that still holds processes is busy and stays.
 */
export async function sweepStaleCgroups(parent: string): Promise<void> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (entry) => {
      const match = new RegExp(`^${PREFIX}(\\d+)-[0-9a-f]{8}$`).exec(entry);
      if (match === null || isProcessAlive(Number(match[1]))) return;
      await rmdir(path.join(parent, entry)).catch(() => undefined);
    }),
  );
}

/** true while a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
