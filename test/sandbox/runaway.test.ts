import { spawnSync } from 'node:child_process';
import { chown, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectMemoryLimit } from '../../src/sandbox/memory-limit.js';
import { detectProcessLimit } from '../../src/sandbox/process-limit.js';
import type { CommandResult, Sandbox } from '../../src/sandbox/types.js';
import {
  closeSandboxes,
  countProcesses,
  makeTempDir,
  openSandbox,
  runScript,
  uniqueMarker,
  waitForNoProcesses,
} from './helpers.js';

let workspace: string;
let removeWorkspace: () => Promise<void>;

beforeAll(async () => {
  ({ dir: workspace, remove: removeWorkspace } = await makeTempDir('patchling-runaway-'));
});
afterAll(async () => {
  await closeSandboxes();
  await removeWorkspace();
});

describe('timeouts and aborts', () => {
  it('kills `sleep 1000` at its timeout, with everything it started, setsid children too', async () => {
    const sandbox = await openSandbox({ workspace });
    const n = 1_000_000 + Math.floor(Math.random() * 1_000_000);
    const started = Date.now();
    const result = await runScript(
      sandbox,
      `sleep ${n} & setsid sleep ${n + 1} & (sleep ${n + 2} &) ; sleep 1000`,
      { timeoutMs: 800 },
    );
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
    for (const arg of [n, n + 1, n + 2]) expect(await waitForNoProcesses(`sleep ${arg}`)).toBe(0);
  });

  it('kills the command when the signal aborts', async () => {
    const sandbox = await openSandbox({ workspace });
    const marker = uniqueMarker('abort');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runScript(sandbox, `: ${marker}; sleep 1000`, {
      signal: controller.signal,
      timeoutMs: 20_000,
    });
    expect(result.aborted).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(5000);
    expect(await waitForNoProcesses(marker)).toBe(0);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const sandbox = await openSandbox({ workspace });
    const result = await runScript(sandbox, 'echo ran > ran.txt', { signal: AbortSignal.abort() });
    expect(result.aborted).toBe(true);
    await expect(stat(path.join(workspace, 'ran.txt'))).rejects.toThrow();
  });
});

describe('fork bombs', () => {
  const MAX = 64;

  /** Runs a fork bomb, sampling the host's count of its processes while it runs. */
  async function forkBomb(sandbox: Sandbox): Promise<{ result: CommandResult; peak: number }> {
    const marker = uniqueMarker('forkbomb');
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await countProcesses(marker));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const result = await runScript(
      sandbox,
      `: ${marker}; bomb() { bomb | bomb & }; bomb; sleep 100`,
      {
        timeoutMs: 3000,
      },
    );
    sampling = false;
    await sampler;
    expect(await waitForNoProcesses(marker)).toBe(0);
    // The host still forks fine afterwards.
    expect(spawnSync('/bin/true').status).toBe(0);
    return { result, peak };
  }

  it('stops a fork bomb at maxProcesses with the strategy this host allows', async (context) => {
    const strategy = await detectProcessLimit({ hostUid: process.getuid?.() ?? 0 });
    if (strategy.kind === 'none') context.skip();
    const sandbox = await openSandbox({ workspace, limits: { maxProcesses: MAX } });
    const { result, peak } = await forkBomb(sandbox);
    expect(result.output).toMatch(/Resource temporarily unavailable/);
    expect(peak).toBeGreaterThan(MAX / 2); // it really did multiply...
    expect(peak).toBeLessThanOrEqual(MAX); // ...and stopped at the limit
  });

  it('kills a fork bomb at its timeout, not a drain period later', async () => {
    // A high limit, so the bomb is thousands strong when the timeout strikes.
    const sandbox = await openSandbox({ workspace, limits: { maxProcesses: 4096 } });
    const marker = uniqueMarker('forkbomb-timeout');
    const started = Date.now();
    const result = await runScript(
      sandbox,
      `: ${marker}; bomb() { bomb | bomb & }; bomb; sleep 100`,
      {
        timeoutMs: 3000,
      },
    );
    expect(result.timedOut).toBe(true);
    // Before, the answer waited for the output pipe to drain, 2 s past the kill at least.
    expect(result.durationMs).toBeLessThan(3000 + 1500);
    expect(Date.now() - started).toBeLessThan(3000 + 1500);
    expect(await waitForNoProcesses(marker, 5000)).toBe(0);
  });

  it('as root with runAs, stops a fork bomb through RLIMIT_NPROC alone', async (context) => {
    if (process.getuid?.() !== 0) context.skip();
    const { dir, remove } = await makeTempDir('patchling-runas-');
    try {
      await chown(dir, 65534, 65534);
      const sandbox = await openSandbox({
        workspace: dir,
        runAs: { uid: 65534, gid: 65534 },
        limits: { maxProcesses: MAX },
      });
      const write = await runScript(sandbox, 'echo ok > written && cat written');
      expect(write.output.trim()).toBe('ok');
      const { result, peak } = await forkBomb(sandbox);
      expect(result.output).toMatch(/Resource temporarily unavailable/);
      expect(peak).toBeGreaterThan(MAX / 2);
      expect(peak).toBeLessThanOrEqual(MAX);
    } finally {
      await remove();
    }
  });
});

describe('output and file size', () => {
  it('stops `yes`, keeping a capped head and tail and saying how much was cut', async () => {
    const sandbox = await openSandbox({
      workspace,
      limits: { maxOutputBytes: 64 * 1024, maxTotalOutputBytes: 8 * 1024 * 1024 },
    });
    const result = await runScript(sandbox, 'echo START; yes', { timeoutMs: 15_000 });
    expect(result.outputLimitExceeded).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(result.outputTruncated).toBe(true);
    expect(result.totalOutputBytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(result.output.startsWith('START\ny\ny\n')).toBe(true);
    expect(result.output.endsWith('y\n')).toBe(true);
    const cut = /\[\.\.\. (\d+) bytes of output cut here \.\.\.\]/.exec(result.output);
    expect(Number(cut?.[1])).toBe(result.totalOutputBytes - 64 * 1024);
    expect(Buffer.byteLength(result.output)).toBeLessThan(64 * 1024 + 100);
  });

  it('stops a runaway file write at maxFileSizeBytes', async () => {
    const sandbox = await openSandbox({ workspace, limits: { maxFileSizeBytes: 1024 * 1024 } });
    const result = await runScript(
      sandbox,
      'head -c 5000000 /dev/zero > big.bin; echo "status=$?"',
    );
    expect(result.output).toMatch(/File size limit exceeded/);
    expect(result.output).toContain('status=153'); // 128 + SIGXFSZ
    expect((await stat(path.join(workspace, 'big.bin'))).size).toBe(1024 * 1024);
  });

  it('caps what a private /tmp can hold', async () => {
    const sandbox = await openSandbox({ workspace, limits: { tmpfsSizeBytes: 1024 * 1024 } });
    const result = await runScript(
      sandbox,
      'head -c 3000000 /dev/zero > /tmp/fill; echo "status=$?"',
    );
    expect(result.output).toMatch(/No space left on device/);
  });
});

describe('memory', () => {
  const LIMIT = 256 * 1024 * 1024;
  const grab = (mib: number): string =>
    `node -e "const a = []; for (let i = 0; i < ${mib / 16}; i++) a.push(Buffer.alloc(2 ** 24, 1)); console.log('GOT', ${mib})"`;

  it('kills a command that allocates past maxMemoryBytes, and says it was for memory', async () => {
    const sandbox = await openSandbox({ workspace, limits: { maxMemoryBytes: LIMIT } });
    const within = await runScript(sandbox, grab(64));
    expect(within.output).toContain('GOT 64');
    expect(within.memoryLimitExceeded).toBeUndefined();

    const beyond = await runScript(sandbox, `${grab(512)}; echo "status=$?"`, {
      timeoutMs: 60_000,
    });
    expect(beyond.output).not.toContain('GOT 512');
    expect(beyond.timedOut).toBe(false);
    const strategy = await detectMemoryLimit();
    if (strategy.kind === 'cgroup') {
      expect(beyond.output).toContain('status=137'); // SIGKILL from the OOM killer
      expect(beyond.memoryLimitExceeded).toBe(true);
    } else {
      expect(beyond.output).toMatch(/RangeError|out of memory/i);
    }
  });

  it('takes the limit from PATCHLING_SANDBOX_MEMORY_MB, and refuses a malformed one', async () => {
    const sandbox = await openSandbox({
      workspace,
      parentEnv: { PATH: process.env.PATH, PATCHLING_SANDBOX_MEMORY_MB: '256' },
    });
    const result = await runScript(sandbox, grab(512), { timeoutMs: 60_000 });
    expect(result.output).not.toContain('GOT 512');
    await expect(
      openSandbox({ workspace, parentEnv: { PATCHLING_SANDBOX_MEMORY_MB: '4g' } }),
    ).rejects.toThrow(/PATCHLING_SANDBOX_MEMORY_MB must be a whole number of MiB/);
  });

  it('as root with runAs, caps the address space instead (RLIMIT_AS)', async (context) => {
    if (process.getuid?.() !== 0) context.skip();
    const { dir, remove } = await makeTempDir('patchling-runas-mem-');
    try {
      await chown(dir, 65534, 65534);
      const sandbox = await openSandbox({
        workspace: dir,
        runAs: { uid: 65534, gid: 65534 },
        limits: { maxMemoryBytes: 2 * LIMIT * 4 },
      });
      const result = await runScript(sandbox, `${grab(64)}; ${grab(3072)}`, { timeoutMs: 60_000 });
      expect(result.output).toContain('GOT 64');
      expect(result.output).not.toContain('GOT 3072');
      expect(result.output).toMatch(/RangeError|allocation failed|out of memory/i);
    } finally {
      await remove();
    }
  });
});

describe('the pids cgroup', () => {
  it('holds maxProcesses while in use and is removed on close', async (context) => {
    const strategy = await detectProcessLimit({ hostUid: process.getuid?.() ?? 0 });
    if (strategy.kind !== 'cgroup') return context.skip();
    const mine = async (): Promise<string[]> =>
      (await readdir(strategy.parent)).filter((entry) =>
        entry.startsWith(`patchling-${process.pid}-`),
      );
    const before = new Set(await mine());
    const sandbox = await openSandbox({ workspace, limits: { maxProcesses: 77 } });
    await runScript(sandbox, 'true');
    const created = (await mine()).filter((entry) => !before.has(entry));
    expect(created).toHaveLength(1);
    const dir = path.join(strategy.parent, created[0] ?? '');
    expect((await readFile(path.join(dir, 'pids.max'), 'utf8')).trim()).toBe('77');
    await sandbox.close?.();
    await expect(stat(dir)).rejects.toThrow();
  });
});
