import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { CreateSandboxOptions } from '../../src/sandbox/create-sandbox.js';
import type { CommandRequest, CommandResult, Sandbox } from '../../src/sandbox/types.js';

const opened: Sandbox[] = [];

/** createSandbox, remembered so closeSandboxes() can release host resources (cgroups). */
export async function openSandbox(options: CreateSandboxOptions): Promise<Sandbox> {
  const sandbox = await createSandbox(options);
  opened.push(sandbox);
  return sandbox;
}

export async function closeSandboxes(): Promise<void> {
  await Promise.all(opened.splice(0).map((sandbox) => sandbox.close?.()));
}

/** A fresh temp directory, removed by the returned function. */
export async function makeTempDir(
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs a bash script in the sandbox, cwd the workspace. */
export function runScript(
  sandbox: Sandbox,
  script: string,
  extra: Partial<CommandRequest> = {},
): Promise<CommandResult> {
  return sandbox.run({
    argv: ['bash', '-c', script],
    cwd: sandbox.workspace,
    timeoutMs: 20_000,
    ...extra,
  });
}

/** Host processes whose command line contains `marker` (NUL-separated argv joined by spaces). */
export async function countProcesses(marker: string): Promise<number> {
  let count = 0;
  const entries = await readdir('/proc');
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .map(async (pid) => {
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.replaceAll('\0', ' ').includes(marker)) count++;
      }),
  );
  return count;
}

/** Polls until no host process mentions `marker`; returns how many were left at the end. */
export async function waitForNoProcesses(marker: string, withinMs = 3000): Promise<number> {
  const deadline = Date.now() + withinMs;
  let left = await countProcesses(marker);
  while (left > 0 && Date.now() < deadline) {
    await sleep(50);
    left = await countProcesses(marker);
  }
  return left;
}

export function uniqueMarker(label: string): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
