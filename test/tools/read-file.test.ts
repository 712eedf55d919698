import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadFileTool } from '../../src/tools/read-file.js';
import type { ReadFileOptions } from '../../src/tools/read-file.js';
import type { ToolContext } from '../../src/tools/types.js';
import { hostToolContext } from '../support/host-tool-context.js';

let workspace: string;
let outside: string;

function context(): ToolContext {
  return hostToolContext(workspace, 'read_file');
}

async function read(
  args: { path: string; offset?: number; limit?: number },
  options?: ReadFileOptions,
) {
  return createReadFileTool(options).run(args, context());
}

const numbered = (count: number) =>
  Array.from({ length: count }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-read-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-'));
  await mkdir(path.join(workspace, 'src'));
  await writeFile(path.join(workspace, 'ten.txt'), numbered(10));
  await writeFile(path.join(workspace, 'crlf.txt'), 'one\r\ntwo\r\nthree');
  await writeFile(path.join(workspace, 'empty.txt'), '');
  await writeFile(path.join(workspace, 'long.txt'), `short\n${'x'.repeat(2000)}\nafter\n`);
  await writeFile(path.join(workspace, 'huge-line.min.js'), 'y'.repeat(3 * 1024 * 1024));
  await writeFile(path.join(workspace, 'emoji.txt'), `a${'😀'.repeat(600)}\n`);
  await writeFile(path.join(workspace, 'blob.bin'), Buffer.from([1, 2, 0, 3, 4]));
  await writeFile(path.join(workspace, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]));
  await writeFile(path.join(outside, 'secret.txt'), 'TOP-SECRET-CONTENT');
  await symlink(path.join(outside, 'secret.txt'), path.join(workspace, 'secret-link'));
  await symlink(path.join(workspace, 'ten.txt'), path.join(workspace, 'inner-link'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('read_file', () => {
  it('returns a whole small file as numbered lines, with no trailer', async () => {
    const outcome = await read({ path: 'ten.txt' });
    expect(outcome.ok).toBe(true);
    expect(outcome.output.split('\n')).toEqual(
      Array.from({ length: 10 }, (_, i) => `L${i + 1}: line ${i + 1}`),
    );
  });

  it('returns a range and says where to read on', async () => {
    const outcome = await read({ path: 'ten.txt', offset: 3, limit: 2 });
    expect(outcome).toEqual({
      ok: true,
      output:
        'L3: line 3\nL4: line 4\n[Lines 3-4 of 10. To read on, call read_file with offset 5.]',
    });
  });

  it('says when a range reaches the end of the file', async () => {
    const outcome = await read({ path: 'ten.txt', offset: 9, limit: 5 });
    expect(outcome.output).toBe('L9: line 9\nL10: line 10\n[Lines 9-10 of 10.]');
  });

  it('caps the limit the model asks for at the configured maximum', async () => {
    const outcome = await read({ path: 'ten.txt', limit: 1000 }, { maxLines: 4 });
    expect(outcome.output).toBe(
      'L1: line 1\nL2: line 2\nL3: line 3\nL4: line 4\n[Lines 1-4 of 10. To read on, call read_file with offset 5.]',
    );
  });

  it('refuses an offset past the end, giving the line count', async () => {
    const outcome = await read({ path: 'ten.txt', offset: 11 });
    expect(outcome).toEqual({
      ok: false,
      output: 'offset 11 is past the end of ten.txt, which has 10 lines.',
    });
  });

  it('strips CR of CRLF endings and counts a last line without newline', async () => {
    const outcome = await read({ path: 'crlf.txt' });
    expect(outcome.output).toBe('L1: one\nL2: two\nL3: three');
  });

  it('says a file is empty', async () => {
    expect(await read({ path: 'empty.txt' })).toEqual({ ok: true, output: 'empty.txt is empty.' });
  });

  it('truncates a long line with a marker giving its size', async () => {
    const outcome = await read({ path: 'long.txt' });
    const lines = outcome.output.split('\n');
    expect(lines[0]).toBe('L1: short');
    expect(lines[1]).toBe(`L2: ${'x'.repeat(500)}… [line truncated; 2000 bytes in all]`);
    expect(lines[2]).toBe('L3: after');
  });

  it('reads a 3 MiB single-line file without returning it whole', async () => {
    const outcome = await read({ path: 'huge-line.min.js' });
    expect(outcome.ok).toBe(true);
    expect(outcome.output).toBe(
      `L1: ${'y'.repeat(500)}… [line truncated; ${3 * 1024 * 1024} bytes in all]`,
    );
  });

  it('never cuts a surrogate pair in half', async () => {
    const outcome = await read({ path: 'emoji.txt' });
    expect(outcome.output).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(outcome.output).toContain('… [line truncated;');
  });

  it('stops at the output byte cap and says how to continue', async () => {
    const outcome = await read({ path: 'ten.txt' }, { maxOutputBytes: 40 });
    expect(outcome.output).toBe(
      'L1: line 1\nL2: line 2\nL3: line 3\n[Output limit of 40 bytes reached. Lines 1-3 of 10. To read on, call read_file with offset 4.]',
    );
  });

  it('refuses a binary file, giving its size', async () => {
    const outcome = await read({ path: 'blob.bin' });
    expect(outcome).toEqual({
      ok: false,
      output: 'blob.bin is a binary file (5 bytes); read_file shows text only.',
    });
  });

  it('points at view_image for a binary image', async () => {
    const outcome = await read({ path: 'logo.png' });
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toContain('view_image');
  });

  it('refuses a directory and suggests list_dir', async () => {
    const outcome = await read({ path: 'src' });
    expect(outcome).toEqual({
      ok: false,
      output: 'src is a directory; use list_dir to see its entries.',
    });
  });

  it('says when a file does not exist', async () => {
    expect(await read({ path: 'nope.txt' })).toEqual({
      ok: false,
      output: 'No such file: nope.txt.',
    });
  });

  it('follows a symlink that stays inside the workspace', async () => {
    const outcome = await read({ path: 'inner-link', limit: 1 });
    expect(outcome.output.startsWith('L1: line 1\n')).toBe(true);
  });

  it.each([['../outside.txt'], ['/etc/passwd'], ['secret-link']])(
    'refuses %j, which leaves the workspace',
    async (requested) => {
      const outcome = await read({ path: requested });
      expect(outcome.ok).toBe(false);
      expect(outcome.output).toMatch(/outside the workspace/);
      expect(outcome.output).not.toContain('TOP-SECRET-CONTENT');
    },
  );

  it('refuses an absolute path to a file outside, whatever it holds', async () => {
    const outcome = await read({ path: path.join(outside, 'secret.txt') });
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/outside the workspace/);
  });
});
