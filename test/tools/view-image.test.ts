import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/tools/types.js';
import { hostToolContext } from '../support/host-tool-context.js';
import { createViewImageTool } from '../../src/tools/view-image.js';
import type { ViewImageOptions } from '../../src/tools/view-image.js';
import { dimensionsOf, photoJpeg, screenshotPng } from '../images/fixtures.js';

let workspace: string;
let outside: string;

function context(): ToolContext {
  return hostToolContext(workspace, 'view_image');
}

async function view(requested: string, options?: ViewImageOptions) {
  return createViewImageTool(options).run({ path: requested }, context());
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-view-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-'));
  await mkdir(path.join(workspace, 'docs'));
  await writeFile(path.join(workspace, 'docs', 'photo.jpg'), await photoJpeg(4000, 3000));
  await writeFile(path.join(workspace, 'docs', 'small.png'), await screenshotPng(800, 600));
  await writeFile(path.join(workspace, 'notes.txt'), 'not an image\n');
  await writeFile(
    path.join(workspace, 'broken.png'),
    (await screenshotPng(200, 200)).subarray(0, 300),
  );
  await writeFile(path.join(outside, 'secret.png'), await screenshotPng(10, 10));
  await symlink(path.join(outside, 'secret.png'), path.join(workspace, 'escape.png'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('view_image', () => {
  it('attaches a large photo, resized, and says so', async () => {
    const outcome = await view('docs/photo.jpg');
    expect(outcome.ok).toBe(true);
    expect(outcome.output).toBe(
      'Attached image docs/photo.jpg (2048x1536, resized from 4000x3000).',
    );
    expect(outcome.images).toHaveLength(1);
    const image = outcome.images?.[0];
    expect(image).toMatchObject({ type: 'image', mimeType: 'image/jpeg', label: 'docs/photo.jpg' });
    expect(Object.keys(image ?? {})).not.toContain('info');
    expect(await dimensionsOf(image?.dataBase64 ?? '')).toMatchObject({
      width: 2048,
      height: 1536,
    });
  });

  it('attaches a small image as it is', async () => {
    const outcome = await view('docs/small.png');
    expect(outcome.output).toBe('Attached image docs/small.png (800x600).');
    expect(outcome.images?.[0]?.mimeType).toBe('image/png');
  });

  it('refuses a file over the raw size limit before decoding it', async () => {
    const outcome = await view('docs/photo.jpg', { maxInputBytes: 1024 * 1024 });
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/^docs\/photo\.jpg is \d+\.\d MiB, over the 1\.0 MiB limit/);
    expect(outcome.images).toBeUndefined();
  });

  it('refuses a file that is not an image', async () => {
    const outcome = await view('notes.txt');
    expect(outcome).toEqual({
      ok: false,
      output: 'Cannot attach notes.txt: The file is not an image in a format that can be decoded.',
    });
  });

  it('refuses a corrupt image', async () => {
    const outcome = await view('broken.png');
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/^Cannot attach broken\.png: The image could not be decoded/);
  });

  it('refuses a directory and a missing file', async () => {
    expect((await view('docs')).output).toBe('docs is a directory, not an image.');
    expect((await view('docs/none.png')).output).toBe('No such file: docs/none.png.');
  });

  it.each([['../x.png'], ['escape.png']])('refuses %j, outside the workspace', async (p) => {
    const outcome = await view(p);
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/outside the workspace/);
  });

  it('reports a timeout as an outcome', async () => {
    const outcome = await view('docs/small.png', {
      timeoutMs: 20,
      encoder: () => new Promise(() => {}),
    });
    expect(outcome).toEqual({
      ok: false,
      output: 'Cannot attach docs/small.png: Processing the image took longer than 20 ms.',
    });
  });
});
