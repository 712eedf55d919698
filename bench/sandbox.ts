import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSandbox } from '../src/sandbox/create-sandbox.js';

export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

const RUNS = 50;
const WARMUP = 5;
const TARGET_OVERHEAD_MS = 8;

/**
 * The sandbox's startup cost per command: `true` through the sandbox (launcher shell,
 * bwrap, namespaces, mounts, the cgroups, the workspace sweep afterwards) against
 * `/bin/true` spawned bare from Node, which carries the same spawn and pipe costs. Then
 * what the shell tool runs, `bash -c true`, against the login shell it used to run.
 * Minimums are given beside medians: on a loaded machine they move least.
 */
export async function benchSandbox(): Promise<BenchFigure[]> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-'));
  try {
    const sandbox = await createSandbox({ workspace });
    const runSandboxed = async (): Promise<void> => {
      const result = await sandbox.run({ argv: ['true'], cwd: workspace, timeoutMs: 10_000 });
      if (result.exitCode !== 0) throw new Error(`sandboxed true failed: ${result.output}`);
    };
    const runShell = (flag: string) => async (): Promise<void> => {
      const result = await sandbox.run({
        argv: ['bash', flag, 'true'],
        cwd: workspace,
        timeoutMs: 10_000,
      });
      if (result.exitCode !== 0) throw new Error(`sandboxed bash ${flag} failed: ${result.output}`);
    };
    // Interleaved, so a burst of load elsewhere on the machine hits both series alike.
    let series: [number[], number[], number[], number[]];
    try {
      const [sandboxed, bare] = await measurePair(runSandboxed, spawnTrue);
      const [shell, loginShell] = await measurePair(runShell('-c'), runShell('-lc'));
      series = [sandboxed, bare, shell, loginShell];
    } finally {
      await sandbox.close?.();
    }
    const [sandboxed, bare, shell, loginShell] = series;
    const overhead = median(sandboxed) - median(bare);
    return [
      { name: 'sandbox true, median', value: round(median(sandboxed)), unit: 'ms' },
      { name: 'sandbox true, p90', value: round(percentile(sandboxed, 0.9)), unit: 'ms' },
      { name: 'bare /bin/true, median', value: round(median(bare)), unit: 'ms' },
      { name: 'bare /bin/true, p90', value: round(percentile(bare, 0.9)), unit: 'ms' },
      {
        name: 'sandbox overhead per command, median',
        value: round(overhead),
        unit: 'ms',
        note: `${RUNS} runs each; target < ${TARGET_OVERHEAD_MS} ms${overhead > TARGET_OVERHEAD_MS ? ' (OVER TARGET)' : ''}`,
      },
      {
        name: 'sandbox overhead per command, p90',
        value: round(percentile(sandboxed, 0.9) - percentile(bare, 0.9)),
        unit: 'ms',
      },
      {
        name: 'sandbox overhead per command, min',
        value: round(Math.min(...sandboxed) - Math.min(...bare)),
        unit: 'ms',
      },
      { name: 'shell tool bash -c true, median', value: round(median(shell)), unit: 'ms' },
      {
        name: 'old login shell bash -lc true, median',
        value: round(median(loginShell)),
        unit: 'ms',
        note: `bash -c saves ${round(median(loginShell) - median(shell))} ms per command`,
      },
      // A checkout without dependencies (walked in-process), then one with node_modules (find).
      ...(await benchWorkspaceOfSize(50)),
      ...(await benchWorkspaceOfSize(1000)),
    ];
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

const FILES_PER_PACKAGE = 20;
const SIZED_RUNS = 20;

/**
 * The same `true` in a workspace holding node_modules with `packages` packages of 20 files
 * in 3 directories each (1,000 packages: 20,000 files): workspace-write, which sweeps the
 * workspace after every command, against read-only, which does not. The difference is what
 * the sweep costs a command; it grows with the tree.
 */
async function benchWorkspaceOfSize(packages: number): Promise<BenchFigure[]> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-sized-'));
  try {
    for (let p = 0; p < packages; p++) {
      const pkg = path.join(workspace, 'node_modules', `pkg-${p}`);
      await mkdir(path.join(pkg, 'lib', 'sub'), { recursive: true });
      const files = ['package.json', ...(p % 10 === 0 ? ['.gitignore'] : [])];
      for (let f = files.length; f < FILES_PER_PACKAGE; f++) {
        files.push(f % 2 === 0 ? `lib/f${f}.js` : `lib/sub/g${f}.js`);
      }
      await Promise.all(files.map((file) => writeFile(path.join(pkg, file), 'x')));
    }
    const writable = await createSandbox({ workspace });
    const readOnly = await createSandbox({ workspace, policy: 'read-only' });
    let swept: number[];
    let unswept: number[];
    try {
      const once = (sandbox: typeof writable) => async (): Promise<void> => {
        const result = await sandbox.run({ argv: ['true'], cwd: workspace, timeoutMs: 30_000 });
        if (result.exitCode !== 0) throw new Error(`sandboxed true failed: ${result.output}`);
      };
      [swept, unswept] = await measurePair(once(writable), once(readOnly), SIZED_RUNS);
    } finally {
      await writable.close?.();
      await readOnly.close?.();
    }
    const files = packages * FILES_PER_PACKAGE;
    return [
      {
        name: `${files} files: true, workspace-write, median`,
        value: round(median(swept)),
        unit: 'ms',
      },
      {
        name: `${files} files: true, read-only, median`,
        value: round(median(unswept)),
        unit: 'ms',
      },
      {
        name: `${files} files: the sweep per command, median`,
        value: round(median(swept) - median(unswept)),
        unit: 'ms',
        note: `min ${round(Math.min(...swept) - Math.min(...unswept))} ms; ${SIZED_RUNS} runs each`,
      },
    ];
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

async function measurePair(
  first: () => Promise<void>,
  second: () => Promise<void>,
  runs = RUNS,
): Promise<[number[], number[]]> {
  for (let i = 0; i < WARMUP; i++) {
    await first();
    await second();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await time(first));
    b.push(await time(second));
  }
  return [a, b];
}

async function time(once: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await once();
  return performance.now() - start;
}

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await benchSandbox()) {
    console.log(
      `${figure.name.padEnd(40)} ${String(figure.value).padStart(7)} ${figure.unit}${figure.note ? `  (${figure.note})` : ''}`,
    );
  }
}
