import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError, ImageTimeoutError } from '../../src/images/image-errors.js';
import type { ImageEncoder } from '../../src/images/encode-image.js';
import { IMAGE_DEFAULTS, prepareImage, toImageContent } from '../../src/images/prepare-image.js';
import { bombPng, dimensionsOf, photoJpeg, screenshotPng, transparentPng } from './fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-images-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prepareImage', () => {
  it('shrinks a 4000x3000 photo to 2048x1536 JPEG under the byte cap', async () => {
    const photo = await photoJpeg(4000, 3000);
    expect(photo.length).toBeGreaterThan(IMAGE_DEFAULTS.maxOutputBytes);

    const image = await prepareImage(photo);

    expect(image.mimeType).toBe('image/jpeg');
    expect(image.info).toMatchObject({
      width: 2048,
      height: 1536,
      sourceWidth: 4000,
      sourceHeight: 3000,
      resized: true,
    });
    expect(Buffer.from(image.dataBase64, 'base64').length).toBe(image.info.bytes);
    expect(image.info.bytes).toBeLessThanOrEqual(IMAGE_DEFAULTS.maxOutputBytes);
    expect(await dimensionsOf(image.dataBase64)).toEqual({
      width: 2048,
      height: 1536,
      format: 'jpeg',
    });
  });

  it('keeps the aspect ratio of a tall image under a custom max dimension', async () => {
    const image = await prepareImage(await screenshotPng(300, 1200), { maxDimension: 400 });
    expect(image.info).toMatchObject({ width: 100, height: 400 });
  });

  it('never enlarges a small screenshot and keeps it PNG', async () => {
    const image = await prepareImage(await screenshotPng(320, 200));
    expect(image.mimeType).toBe('image/png');
    expect(image.info).toMatchObject({ width: 320, height: 200, resized: false });
    expect(await dimensionsOf(image.dataBase64)).toEqual({
      width: 320,
      height: 200,
      format: 'png',
    });
  });

  it('keeps the alpha channel of a transparent PNG', async () => {
    const image = await prepareImage(await transparentPng(200, 100));
    const metadata = await sharp(Buffer.from(image.dataBase64, 'base64')).metadata();
    expect(image.mimeType).toBe('image/png');
    expect(metadata.hasAlpha).toBe(true);
  });

  it('falls back to JPEG, and then to smaller sizes, to meet a tight byte cap', async () => {
    const cap = 6_000;
    const image = await prepareImage(await photoJpeg(800, 600), { maxOutputBytes: cap });
    expect(image.mimeType).toBe('image/jpeg');
    expect(image.info.bytes).toBeLessThanOrEqual(cap);
    expect(image.info.width / image.info.height).toBeCloseTo(800 / 600, 1);
  });

  it('re-encodes a PNG as JPEG when the PNG is over the cap', async () => {
    const noisyPng = await sharp(await photoJpeg(600, 400))
      .png()
      .toBuffer();
    const image = await prepareImage(noisyPng, { maxOutputBytes: 200_000 });
    expect(noisyPng.length).toBeGreaterThan(200_000);
    expect(image.mimeType).toBe('image/jpeg');
    expect(image.info.bytes).toBeLessThanOrEqual(200_000);
  });

  it('applies the EXIF orientation', async () => {
    const image = await prepareImage(await photoJpeg(400, 200, 6));
    expect(image.info).toMatchObject({
      width: 200,
      height: 400,
      sourceWidth: 200,
      sourceHeight: 400,
    });
  });

  it('labels a file by its base name and strips info for the model', async () => {
    const file = path.join(dir, 'shot.png');
    await writeFile(file, await screenshotPng(64, 48));
    const image = await prepareImage(file);
    expect(image.label).toBe('shot.png');
    expect(Object.keys(toImageContent(image)).sort()).toEqual([
      'dataBase64',
      'label',
      'mimeType',
      'type',
    ]);
  });

  it.each([
    ['random bytes', Buffer.from('definitely not an image'), 'unsupported_format'],
    ['an empty buffer', Buffer.alloc(0), 'undecodable'],
    [
      'an SVG',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
      'unsupported_format',
    ],
  ])('refuses %s', async (_name, input, reason) => {
    await expect(prepareImage(input)).rejects.toMatchObject({ name: 'ImageError', reason });
  });

  it('refuses a truncated PNG', async () => {
    const truncated = (await screenshotPng(400, 300)).subarray(0, 400);
    await expect(prepareImage(truncated)).rejects.toMatchObject({ reason: 'undecodable' });
  });

  it('refuses a decompression bomb from its header, quickly', async () => {
    const started = Date.now();
    const error = await prepareImage(bombPng(100_000, 100_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ reason: 'too_many_pixels' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('honours a lower pixel limit on a real image', async () => {
    await expect(
      prepareImage(await screenshotPng(100, 100), { maxInputPixels: 5_000 }),
    ).rejects.toMatchObject({ reason: 'too_many_pixels' });
  });

  it('refuses inputs over the raw byte limit before decoding', async () => {
    await expect(
      prepareImage(await screenshotPng(100, 100), { maxInputBytes: 10 }),
    ).rejects.toMatchObject({ reason: 'too_many_bytes' });
  });

  it('refuses a missing file', async () => {
    await expect(prepareImage(path.join(dir, 'missing.png'))).rejects.toMatchObject({
      reason: 'unreadable',
    });
  });

  it('times out a slow decode without waiting for it', async () => {
    let release: () => void = () => {};
    const slow: ImageEncoder = () =>
      new Promise((_, reject) => {
        release = () => reject(new Error('finished late'));
      });
    const started = Date.now();
    const error = await prepareImage(Buffer.alloc(1), { encoder: slow, timeoutMs: 40 }).catch(
      (e: unknown) => e,
    );
    release();
    expect(error).toBeInstanceOf(ImageTimeoutError);
    expect((error as Error).message).toMatch(/longer than 40 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
