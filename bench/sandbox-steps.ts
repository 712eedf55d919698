import { spawn } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import { buildBubblewrapArgs } from '../src/sandbox/bubblewrap-args.js';
import { checkSandboxSupport } from '../src/sandbox/check-sandbox-support.js';
import { createSandbox } from '../src/sandbox/create-sandbox.js';
import { SANDBOX_IDENTITY, synthesizeEtcFiles } from '../src/sandbox/etc-files.js';
import { ETC_ALLOWLIST, describeHostLayout } from '../src/sandbox/host-layout.js';
import { planEtcStage } from '../src/sandbox/stage-etc-dir.js';
import { LAUNCHER_SHELL, buildLauncherArgs } from '../src/sandbox/launcher.js';
import { DEFAULT_SANDBOX_LIMITS } from '../src/sandbox/limits.js';
import { buildSandboxEnv } from '../src/sandbox/sandbox-env.js';
import { checkCommandRequest } from '../src/sandbox/check-command-request.js';
import { createCommandCgroups } from '../src/sandbox/command-cgroups.js';
import { detectMemoryLimit } from '../src/sandbox/memory-limit.js';
import { detectProcessLimit } from '../src/sandbox/process-limit.js';
import type { CommandResult } from '../src/sandbox/types.js';
import { prepareWorkspaceSweep } from '../src/sandbox/workspace-sweep.js';
import { median, percentile, round } from './bench-result.js';
import type { BenchResult } from './bench-result.js';

const RUNS = 60;
const WARMUP = 5;

type Variant = readonly [name: string, once: () => Promise<void>];

/**
 * Where a sandboxed command's time goes, one layer added at a time, every variant run
 * round-robin in one process so that load from elsewhere falls on all of them alike:
 * bare spawn; the same with the four extra pipes bwrap reads (/etc files, --args); the
 * launcher shell alone; bwrap with a minimal profile; the full profile without the
 * launcher; with it; then `sandbox.run` read-only (cgroups, no sweep) and workspace-write
 * (everything). Then the full profile with one part left out at a time, to price each.
 */
export async function benchSandboxSteps(): Promise<BenchResult[]> {
  const workspace = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-steps-')));
  const support = await checkSandboxSupport();
  if (!support.supported) throw new Error(support.message);
  const bwrap = support.bwrapPath;
  const layout = await describeHostLayout({ extraReadOnlyPaths: [], execPath: process.execPath });
  const env = buildSandboxEnv({
    parentEnv: process.env,
    allowlist: [],
    home: SANDBOX_IDENTITY.home,
    tmpdir: '/tmp',
    nodeBinDir: layout.nodeBinDir,
  });
  const etc = synthesizeEtcFiles(SANDBOX_IDENTITY);
  const stage = planEtcStage({
    mounts: layout.mounts,
    etcTargets: new Set(ETC_ALLOWLIST.map((entry) => `/etc/${entry}`)),
    files: etc,
    parentDir: os.tmpdir(),
  });
  const profileInput = {
    policy: 'workspace-write' as const,
    workspace,
    protectedPaths: [],
    hostMounts: stage.mounts,
    uid: SANDBOX_IDENTITY.uid,
    gid: SANDBOX_IDENTITY.gid,
    hostname: SANDBOX_IDENTITY.hostname,
    home: SANDBOX_IDENTITY.home,
    cwd: workspace,
    env,
    tmpfsSizeBytes: DEFAULT_SANDBOX_LIMITS.tmpfsSizeBytes,
    etcDir: await stage.dir(),
  };
  const profile = buildBubblewrapArgs(profileInput);
  // The profile as it was before /etc was staged: each allowlisted entry bound on its own,
  // passwd, group and hosts written through pipes (--ro-bind-data) for every command.
  const unstaged = buildBubblewrapArgs({ ...profileInput, hostMounts: layout.mounts });
  const etcAt = unstaged.indexOf(profileInput.etcDir) - 1;
  const perCommandEtc = [
    ...unstaged.slice(0, etcAt),
    ...(['passwd', 'group', 'hosts'] as const).flatMap((name, index) => [
      '--perms',
      '0644',
      '--ro-bind-data',
      String(4 + index),
      `/etc/${name}`,
    ]),
    ...unstaged.slice(etcAt + 3),
  ];
  const bwrapWith =
    (args: readonly string[], inputs: readonly string[] = []) =>
    (): Promise<void> =>
      spawnOnce(bwrap, ['--args', '3', '--', 'true'], [encode(args), ...inputs]);
  const launcher = (command: readonly string[], extra: readonly string[]) => (): Promise<void> =>
    spawnOnce(
      LAUNCHER_SHELL,
      buildLauncherArgs({
        maxFileSizeBytes: DEFAULT_SANDBOX_LIMITS.maxFileSizeBytes,
        maxProcesses: DEFAULT_SANDBOX_LIMITS.maxProcesses,
        command,
      }),
      extra,
    );

  const writable = await createSandbox({ workspace });
  const readOnly = await createSandbox({ workspace, policy: 'read-only' });
  try {
    const sandboxRun = (sandbox: typeof writable) => async (): Promise<void> => {
      const result = await sandbox.run({ argv: ['true'], cwd: workspace, timeoutMs: 10_000 });
      if (result.exitCode !== 0) throw new Error(`sandboxed true failed: ${result.output}`);
    };
    const layers: Variant[] = [
      ['bare /bin/true', () => spawnOnce('/bin/true', [], [])],
      ['bare /bin/true + 1 input pipe', () => spawnOnce('/bin/true', [], ['x'])],
      ['launcher sh -> /bin/true', launcher(['/bin/true'], [])],
      [
        'bwrap minimal (user+mount ns, / bound)',
        () => spawnOnce(bwrap, ['--unshare-user', '--ro-bind', '/', '/', 'true'], []),
      ],
      ['bwrap full profile, no launcher', bwrapWith(profile)],
      [
        'launcher + bwrap full profile',
        launcher([bwrap, '--args', '3', '--', 'true'], [encode(profile)]),
      ],
      ['sandbox.run read-only (cgroups)', sandboxRun(readOnly)],
      ['sandbox.run workspace-write (all)', sandboxRun(writable)],
    ];
    const without = (label: string, drop: (args: string[]) => string[]): Variant => [
      `full profile without ${label}`,
      bwrapWith(drop([...profile])),
    ];
    const ablations: Variant[] = [
      ['full profile (reference)', bwrapWith(profile)],
      [
        'full profile, /etc bound per entry (before)',
        bwrapWith(perCommandEtc, [etc.passwd, etc.group, etc.hosts]),
      ],
      without('--unshare-net', (a) => a.filter((x) => x !== '--unshare-net')),
      without('--disable-userns', (a) => a.filter((x) => x !== '--disable-userns')),
      without('--unshare-ipc/uts/cgroup', (a) =>
        removeFlags(a, ['--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'], ['--hostname']),
      ),
      without('--proc', (a) => removeOption(a, '--proc', 1)),
      without('--dev', (a) => removeOption(removeOption(a, '--dev', 1), '--remount-ro', 1, '/dev')),
      without('the /etc bind', (a) => removeOption(a, '--ro-bind', 2, profileInput.etcDir)),
    ];
    const inProcess = await timeInProcessSteps(workspace);
    const layerTimes = await roundRobin(layers);
    const ablationTimes = await roundRobin(ablations);
    const results: BenchResult[] = [...inProcess];
    const bare = layerTimes[0]!;
    for (const [index, [name]] of layers.entries()) {
      const times = layerTimes[index]!;
      results.push({
        name: `${name}, median`,
        value: round(median(times), 1),
        unit: 'ms',
        note: `min ${round(Math.min(...times), 1)}, p90 ${round(percentile(times, 0.9), 1)}; over bare: median ${round(median(times) - median(bare), 1)}`,
      });
    }
    const reference = ablationTimes[0]!;
    for (const [index, [name]] of ablations.entries()) {
      const times = ablationTimes[index]!;
      results.push({
        name: `${name}, median`,
        value: round(median(times), 1),
        unit: 'ms',
        note: `min ${round(Math.min(...times), 1)}; saves ${round(median(reference) - median(times), 1)} (median), ${round(Math.min(...reference) - Math.min(...times), 1)} (min)`,
      });
    }
    return results;
  } finally {
    await writable.close?.();
    await readOnly.close?.();
    await stage.remove();
    await rm(workspace, { recursive: true, force: true });
  }
}

/**
 * What runs in Patchling's own process per command, outside any child: the request check
 * (a realpath), the profile, the cgroup lease (the OOM counter read before and after), and
 * the sweep of a small workspace. Timed many times over; these do not wait on a child, so
 * load moves them less.
 */
async function timeInProcessSteps(workspace: string): Promise<BenchResult[]> {
  const processLimit = await detectProcessLimit({ hostUid: process.getuid?.() ?? 0 });
  const memoryLimit = await detectMemoryLimit();
  const cgroups = createCommandCgroups(
    processLimit,
    memoryLimit,
    DEFAULT_SANDBOX_LIMITS,
    () => undefined,
  );
  const sweep = await prepareWorkspaceSweep(workspace);
  const layout = await describeHostLayout({ extraReadOnlyPaths: [], execPath: process.execPath });
  const request = { argv: ['true'], cwd: workspace, timeoutMs: 1000 };
  const done: CommandResult = {
    exitCode: 0,
    signal: null,
    timedOut: false,
    aborted: false,
    durationMs: 0,
    output: '',
    totalOutputBytes: 0,
    outputTruncated: false,
  };
  const steps: [string, () => Promise<unknown>][] = [
    ['check the request (realpath of cwd)', () => checkCommandRequest(workspace, request)],
    [
      'build the bwrap profile',
      async () =>
        buildBubblewrapArgs({
          policy: 'workspace-write',
          workspace,
          protectedPaths: [],
          hostMounts: layout.mounts,
          uid: 1000,
          gid: 1000,
          hostname: 'patchling',
          home: '/home/patchling',
          cwd: workspace,
          env: { PATH: '/usr/bin' },
          tmpfsSizeBytes: DEFAULT_SANDBOX_LIMITS.tmpfsSizeBytes,
          etcDir: '/etc',
        }),
    ],
    [
      `cgroup lease (${processLimit.kind} pids, ${memoryLimit.kind} memory)`,
      async () => {
        const lease = await cgroups.enter();
        await lease.finish(done);
        lease.release();
      },
    ],
    ['sweep of a small workspace', () => sweep.sweep()],
  ];
  const results: BenchResult[] = [];
  try {
    for (const [name, step] of steps) {
      for (let i = 0; i < 20; i++) await step();
      const times: number[] = [];
      for (let i = 0; i < 300; i++) {
        const start = performance.now();
        await step();
        times.push(performance.now() - start);
      }
      results.push({
        name: `in process: ${name}, median`,
        value: round(median(times), 3),
        unit: 'ms',
        note: `min ${round(Math.min(...times), 3)}`,
      });
    }
  } finally {
    await cgroups.close();
  }
  return results;
}

async function roundRobin(variants: readonly Variant[]): Promise<number[][]> {
  for (let i = 0; i < WARMUP; i++) for (const [, once] of variants) await once();
  const times = variants.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [index, [, once]] of variants.entries()) {
      const start = performance.now();
      await once();
      times[index]!.push(performance.now() - start);
    }
  }
  return times;
}

/** Spawns like runProcess does (detached, stdout piped), writing `inputs` to fds 3, 4, ... */
function spawnOnce(
  file: string,
  args: readonly string[],
  inputs: readonly string[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', 'pipe', 'ignore', ...inputs.map(() => 'pipe' as const)];
    const child = spawn(file, args, { stdio, detached: true, env: {} });
    inputs.forEach((data, index) => {
      const stream = child.stdio[3 + index] as Writable;
      stream.on('error', () => undefined);
      stream.end(data);
    });
    child.stdout?.resume();
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`)),
    );
  });
}

function encode(args: readonly string[]): string {
  return args.map((arg) => `${arg}\0`).join('');
}

function removeFlags(
  args: string[],
  flags: readonly string[],
  withValue: readonly string[],
): string[] {
  let out = args.filter((arg) => !flags.includes(arg));
  for (const option of withValue) out = removeOption(out, option, 1);
  return out;
}

/** Removes `option` and its `count` values (the first occurrence, or the one whose value is `value`). */
function removeOption(args: string[], option: string, count: number, value?: string): string[] {
  const index = args.findIndex(
    (arg, i) => arg === option && (value === undefined || args[i + 1] === value),
  );
  return index === -1 ? args : [...args.slice(0, index), ...args.slice(index + 1 + count)];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchSandboxSteps()) {
    console.log(`${r.name.padEnd(52)} ${String(r.value).padStart(7)} ${r.unit}  (${r.note})`);
  }
}
