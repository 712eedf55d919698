import { describe, expect, it } from 'vitest';
import { encodeImage } from '../../src/images/encode-image.js';
import type { ImageEncoder } from '../../src/images/encode-image.js';
import { ImageTimeoutError } from '../../src/images/image-errors.js';
import { prepareImages } from '../../src/images/prepare-images.js';
import type { ImageProgress } from '../../src/images/prepare-images.js';
import { screenshotPng } from './fixtures.js';

/** Wraps an encoder to count how many calls run at once. */
function instrumented(inner: ImageEncoder) {
  const stats = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const encoder: ImageEncoder = async (input, limits) => {
    stats.calls++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      return await inner(input, limits);
    } finally {
      stats.inFlight--;
    }
  };
  return { encoder, stats };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('prepareImages', () => {
  it('processes 120 images with at most `concurrency` in flight, in input order', async () => {
    const inputs = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i === 57 ? Promise.resolve(Buffer.from('corrupt')) : screenshotPng(40 + i, 30, i),
      ),
    );
    const { encoder, stats } = instrumented(encodeImage);
    const progress: ImageProgress[] = [];

    const results = await prepareImages(inputs, {
      concurrency: 3,
      encoder,
      onProgress: (p) => progress.push(p),
    });

    expect(stats.calls).toBe(120);
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(stats.maxInFlight).toBe(3);
    expect(results).toHaveLength(120);
    results.forEach((result, i) => {
      expect(result.input).toBe(inputs[i]);
      if (i === 57) {
        expect(result).toMatchObject({ ok: false, error: { reason: 'unsupported_format' } });
      } else {
        expect(result.ok && result.image.info.width).toBe(40 + i);
      }
    });
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(progress.at(-1)).toEqual({ done: 120, failed: 1, total: 120 });
  });

  it('reports a timeout at once but keeps the slot until the work really ends', async () => {
    const events: string[] = [];
    const started = Date.now();
    const fast = await screenshotPng(20, 20);
    const encoder: ImageEncoder = async (input, limits) => {
      if (input === fast) {
        events.push(
          `fast started at ${Date.now() - started >= 580 ? 'after' : 'before'} slow ended`,
        );
        return encodeImage(input, limits);
      }
      await delay(600);
      throw new Error('slow work ended');
    };

    const results = await prepareImages([Buffer.from('slow'), fast], {
      concurrency: 1,
      // Room for the small real encode on a busy machine; far below the slow one's 600 ms.
      timeoutMs: 250,
      encoder,
      onProgress: ({ done }) =>
        events.push(`done ${done} at ${Date.now() - started < 450 ? 'once' : 'late'}`),
    });

    expect(results[0]).toMatchObject({ ok: false });
    expect(results[0]?.ok === false && results[0].error).toBeInstanceOf(ImageTimeoutError);
    expect(results[1]?.ok).toBe(true);
    expect(events).toEqual([
      'done 1 at once',
      'fast started at after slow ended',
      'done 2 at late',
    ]);
  });

  it('returns an empty list for no inputs', async () => {
    await expect(prepareImages([])).resolves.toEqual([]);
  });
});
