import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { startScriptedModelServer, step } from '../test/support/model-server/index.js';
import type { ScriptStep } from '../test/support/model-server/index.js';
import { median, round, type BenchResult } from './bench-result.js';
import { runPatchlingCli } from './run-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FRAMES = 300;
const WIDTH = 1280;
const HEIGHT = 720;
// Distinct frames generated; the rest are copies under other names (generating 300 in
// JavaScript would take longer than the run it feeds).
const VARIANTS = 12;
const MB = 1_000_000;

/**
 * The issue's seed case (Codex CLI hung for hours on it): 300 video frames of 1280x720,
 * the scripted model asking for one `view_image` per turn, then answering. Runs the built
 * CLI as a subprocess and reports the bytes of every request (first, median, max), the
 * total, the wall time, the peak RSS of the CLI and the size of its run log.
 */
export async function benchFrames(frames = FRAMES): Promise<BenchResult[]> {
  if (!existsSync(path.join(ROOT, 'dist', 'triggers', 'cli.js'))) {
    throw new Error('Run `npm run build` first: the bench measures the built CLI.');
  }
  const repo = await makeFramesRepo(frames);
  const state = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-state-'));
  const sizes: number[] = [];
  // The server's own record of requests would hold every body (gigabytes before the
  // history was bounded): keep the sizes only.
  let frame = 0;
  // Token counts are fixed, not estimated from the base64 bytes (which would trigger a
  // compaction every few turns): this bench measures bytes, not the compaction path.
  const usage = { inputTokens: 2000, outputTokens: 20 };
  const next = (): ScriptStep =>
    step.respond((request) => {
      sizes.push(Buffer.byteLength(request.rawBody));
      server.requests.length = 0;
      frame += 1;
      if (frame > frames) return step.text(`Looked at ${frames} frames; nothing moves.`, { usage });
      server.push(next());
      const name = `frames/frame-${String(frame).padStart(4, '0')}.jpg`;
      return step.toolCalls([{ name: 'view_image', arguments: { path: name } }], { usage });
    });
  const server = await startScriptedModelServer([next()]);
  try {
    const { wallMs, peakKiB, code, stderr } = await runPatchlingCli({
      repo,
      baseURL: server.baseURL,
      stateDir: state,
      args: [
        'exec',
        '--max-turns',
        String(frames + 5),
        'Look at every frame in frames/ and say whether anything moves.',
      ],
      pollMs: 20,
    });
    if (code !== 0) throw new Error(`patchling exec exited ${code}: ${stderr.slice(-2000)}`);
    const total = sizes.reduce((a, b) => a + b, 0);
    const logBytes = await folderBytes(state, 'runs');
    const storeBytes = await folderBytes(state, 'images');
    const setup = `${frames} frames ${WIDTH}x${HEIGHT}, one view_image per turn, ${sizes.length} requests`;
    return [
      { name: 'frames: first request', value: round(sizes[0]! / MB, 3), unit: 'MB', note: setup },
      { name: 'frames: median request', value: round(median(sizes) / MB, 3), unit: 'MB' },
      { name: 'frames: largest request', value: round(Math.max(...sizes) / MB, 3), unit: 'MB' },
      { name: 'frames: total bytes sent', value: round(total / MB, 1), unit: 'MB' },
      { name: 'frames: wall time', value: round(wallMs / 1000, 1), unit: 's' },
      { name: 'frames: peak RSS of the CLI', value: round(peakKiB / 1024, 1), unit: 'MiB' },
      { name: 'frames: run log', value: round(logBytes / MB, 2), unit: 'MB' },
      {
        name: 'frames: image store beside the run log',
        value: round(storeBytes / MB, 2),
        unit: 'MB',
        note: `each distinct image once; the bench's frames are ${VARIANTS} distinct images`,
      },
    ];
  } finally {
    await server.close();
    await rm(repo, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  }
}

/** Bytes of the files in `<state>/<folder>`; 0 when there is no such folder. */
async function folderBytes(state: string, folder: string): Promise<number> {
  const dir = path.join(state, folder);
  let total = 0;
  for (const name of await readdir(dir).catch(() => [])) {
    total += (await stat(path.join(dir, name))).size;
  }
  return total;
}

async function makeFramesRepo(frames: number): Promise<string> {
  const repo = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-frames-'));
  const dir = path.join(repo, 'frames');
  await mkdir(dir);
  const variants = await Promise.all(Array.from({ length: VARIANTS }, (_, i) => videoFrame(i)));
  for (let i = 0; i < VARIANTS; i++) await writeFile(path.join(repo, `v${i}.jpg`), variants[i]!);
  for (let i = 1; i <= frames; i++) {
    const name = path.join(dir, `frame-${String(i).padStart(4, '0')}.jpg`);
    await copyFile(path.join(repo, `v${i % VARIANTS}.jpg`), name);
  }
  await Promise.all(Array.from({ length: VARIANTS }, (_, i) => rm(path.join(repo, `v${i}.jpg`))));
  await git(repo, 'init', '-q');
  return repo;
}

/**
 * A video-like frame: smooth gradients, a few moving blocks and a band of noise, so it
 * encodes (as JPEG, like frames extracted from a video) to about what the issue measured
 * (~45 KB a frame), not a flat fill.
 */
async function videoFrame(seed: number): Promise<Buffer> {
  let state = (seed + 1) * 2654435761;
  const random = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const o = (y * WIDTH + x) * 3;
      const block = Math.abs(x - 200 - seed * 60) < 80 && Math.abs(y - 360) < 120;
      const noisy = y >= 600 && y < 640 && random() < 0.5;
      pixels[o] = block ? 230 : (x >> 3) & 0xff;
      pixels[o + 1] = block ? 40 : (y >> 2) & 0xff;
      pixels[o + 2] = noisy ? 255 : ((x + y) >> 4) & 0xff;
    }
  }
  return sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

function git(cwd: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: 'ignore' });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed`)),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const frames = Number(process.argv[2] ?? FRAMES);
  for (const r of await benchFrames(frames))
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
