import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { DEFAULT_IMAGE_CONCURRENCY, prepareImages } from '../src/images/prepare-images.js';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

const COUNT = 200;
const WIDTH = 1920;
const HEIGHT = 1080;
// Distinct screenshots generated; the rest are copies under other names (generation in
// JavaScript is slower than what is measured, and libvips caches by file name, not content).
const VARIANTS = 10;
const MiB = 1024 * 1024;

/**
 * 200 full-HD screenshots through prepareImages at the default concurrency: wall time and
 * peak RSS, the two numbers that say whether a screenshot-heavy PR can be reviewed in CI.
 */
export async function benchImages(): Promise<BenchResult[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-images-'));
  try {
    const variants = await Promise.all(
      Array.from({ length: VARIANTS }, (_, i) => screenshot(WIDTH, HEIGHT, i + 1)),
    );
    const files: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const file = path.join(dir, `shot-${String(i).padStart(3, '0')}.png`);
      await writeFile(file, variants[i % VARIANTS] as Buffer);
      files.push(file);
    }
    const inputBytes = variants.reduce((sum, v) => sum + v.length, 0) / VARIANTS;

    const baselineRss = process.memoryUsage().rss;
    let peakRss = baselineRss;
    const sample = () => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };
    const sampler = setInterval(sample, 10);
    const started = performance.now();
    const results = await prepareImages(files, { onProgress: sample }).finally(() =>
      clearInterval(sampler),
    );
    const wallMs = performance.now() - started;
    sample();

    const prepared = results.flatMap((r) => (r.ok ? [r.image] : []));
    const failed = results.length - prepared.length;
    const meanOutput = prepared.reduce((sum, image) => sum + image.info.bytes, 0) / prepared.length;
    const setup = `${COUNT} PNG screenshots ${WIDTH}x${HEIGHT}, concurrency ${DEFAULT_IMAGE_CONCURRENCY}, ${os.cpus().length} CPUs`;
    return [
      { name: 'images.prepare.wall', value: round(wallMs), unit: 'ms', note: setup },
      { name: 'images.prepare.per_image', value: round(wallMs / COUNT), unit: 'ms' },
      {
        name: 'images.prepare.peak_rss',
        value: round(peakRss / MiB),
        unit: 'MiB',
        note: `baseline ${round(baselineRss / MiB)} MiB before processing`,
      },
      {
        name: 'images.prepare.mean_output',
        value: round(meanOutput / 1024),
        unit: 'KiB',
        note: `input mean ${round(inputBytes / 1024)} KiB; ${failed} failed`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A screenshot-like PNG: sidebar, header, and rows of glyph-like noise as text. */
async function screenshot(width: number, height: number, seed: number): Promise<Buffer> {
  let state = seed * 2654435761;
  const random = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = Buffer.alloc(width * height * 3, 0xfa);
  for (let y = 0; y < height; y++) {
    const textRow = y > 80 && y % 24 >= 6 && y % 24 < 18;
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      if (x < 260) pixels.fill(0x20 + seed, offset, offset + 3);
      else if (y < 64) pixels.fill(0x33, offset, offset + 1);
      else if (textRow && x > 300 && x < width - 200 && random() < 0.35) {
        pixels.fill(0x28, offset, offset + 3);
      }
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const result of await benchImages()) {
    console.log(
      `${result.name}: ${result.value} ${result.unit}${result.note ? ` (${result.note})` : ''}`,
    );
  }
}
