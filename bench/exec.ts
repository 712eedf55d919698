import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startScriptedModelServer, step } from '../test/support/model-server/index.js';
import { median, round, type BenchResult } from './bench-result.js';
import { runPatchlingCli } from './run-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;

/**
 * The issue's reference task, as `codex exec` was measured on it: four shell calls, then
 * a final message, through the built CLI (a real process, the real sandbox, the scripted
 * model on loopback). Reports wall time, peak RSS and the bytes sent to the model.
 */
export async function benchExec(): Promise<BenchResult[]> {
  if (!existsSync(path.join(ROOT, 'dist', 'triggers', 'cli.js'))) {
    throw new Error('Run `npm run build` first: the bench measures the built CLI.');
  }
  const repo = await makeRepo();
  const walls: number[] = [];
  const peaks: number[] = [];
  let bytes: number[] = [];
  let firstRequest = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      const server = await startScriptedModelServer([
        step.toolCalls([{ name: 'shell', arguments: { command: 'ls -la' } }]),
        step.toolCalls([{ name: 'shell', arguments: { command: 'cat package.json' } }]),
        step.toolCalls([{ name: 'shell', arguments: { command: 'node test.js' } }]),
        step.toolCalls([{ name: 'shell', arguments: { command: 'git log --oneline -1' } }]),
        step.text('The tests pass; nothing to change.'),
      ]);
      try {
        const { wallMs, peakKiB, code } = await runCli(repo, server.baseURL);
        if (code !== 0) throw new Error(`patchling exec exited ${code}`);
        walls.push(wallMs);
        peaks.push(peakKiB);
        bytes = server.requests.map((r) => Buffer.byteLength(r.rawBody));
        firstRequest = bytes[0] ?? 0;
      } finally {
        await server.close();
      }
    }
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
  const total = bytes.reduce((a, b) => a + b, 0);
  return [
    {
      name: 'exec: wall time (median of 5)',
      value: round(median(walls) / 1000, 3),
      unit: 's',
      note: 'codex exec 0.169: ~0.63 s',
    },
    {
      name: 'exec: peak RSS (median of 5)',
      value: round(median(peaks) / 1024, 1),
      unit: 'MiB',
      note: 'codex exec 0.169: ~151 MiB',
    },
    {
      name: `exec: bytes sent to the model (${bytes.length} requests)`,
      value: round(total / 1024, 1),
      unit: 'KB',
      note: `first request ${round(firstRequest / 1024, 1)} KB; codex: ~205 KB, 40 KB first; target ≤ half`,
    },
  ];
}

async function runCli(
  repo: string,
  baseURL: string,
): Promise<{ wallMs: number; peakKiB: number; code: number | null }> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-state-'));
  try {
    return await runPatchlingCli({
      repo,
      baseURL,
      stateDir,
      args: ['exec', 'Check that the tests pass.'],
      gnuTime: true,
    });
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function makeRepo(): Promise<string> {
  const repo = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-repo-'));
  await writeFile(
    path.join(repo, 'package.json'),
    '{ "type": "module", "scripts": { "test": "node test.js" } }\n',
  );
  await writeFile(path.join(repo, 'sum.js'), 'export const sum = (a, b) => a + b;\n');
  await writeFile(
    path.join(repo, 'test.js'),
    'import { sum } from "./sum.js";\nif (sum(2, 3) !== 5) process.exit(1);\nconsole.log("ok");\n',
  );
  const git = (...args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        'git',
        ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args],
        { cwd: repo, stdio: 'ignore' },
      );
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed`)),
      );
    });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'init');
  return repo;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchExec())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
