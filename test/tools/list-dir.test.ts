import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListDirTool } from '../../src/tools/list-dir.js';
import type { ListDirOptions } from '../../src/tools/list-dir.js';
import type { ToolContext } from '../../src/tools/types.js';
import { hostToolContext } from '../support/host-tool-context.js';

let workspace: string;
let outside: string;

function context(): ToolContext {
  return hostToolContext(workspace, 'list_dir');
}

async function list(
  args: { path?: string; depth?: number; limit?: number },
  options?: ListDirOptions,
) {
  return createListDirTool(options).run({ path: '.', ...args }, context());
}

async function touch(relative: string, content = '') {
  await mkdir(path.dirname(path.join(workspace, relative)), { recursive: true });
  await writeFile(path.join(workspace, relative), content);
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-list-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-'));
  await touch('README.md');
  await touch('b.txt');
  await touch('Z-upper.txt');
  await touch('a-dir/x.ts');
  await touch('a-dir/nested/deep.ts');
  await touch('a-dir/nested/deeper/z.ts');
  await touch('.git/HEAD');
  await touch('node_modules/pkg/index.js');
  await mkdir(path.join(workspace, 'empty'));
  await symlink('a-dir/x.ts', path.join(workspace, 'link'));
  await symlink(outside, path.join(workspace, 'escape'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('list_dir', () => {
  it('lists two levels in tree order, marking directories and symlinks', async () => {
    const outcome = await list({});
    expect(outcome.ok).toBe(true);
    expect(outcome.output.split('\n')).toEqual([
      '.git/ (not listed)',
      'README.md',
      'Z-upper.txt',
      'a-dir/',
      'a-dir/nested/',
      'a-dir/x.ts',
      'b.txt',
      'empty/',
      `escape@ -> ${outside}`,
      'link@ -> a-dir/x.ts',
      'node_modules/ (not listed)',
    ]);
  });

  it('honours depth, with paths relative to the workspace root', async () => {
    expect((await list({ path: 'a-dir', depth: 1 })).output).toBe('a-dir/nested/\na-dir/x.ts');
    expect((await list({ path: 'a-dir', depth: 3 })).output.split('\n')).toEqual([
      'a-dir/nested/',
      'a-dir/nested/deep.ts',
      'a-dir/nested/deeper/',
      'a-dir/nested/deeper/z.ts',
      'a-dir/x.ts',
    ]);
  });

  it('caps the depth the model asks for', async () => {
    const outcome = await list({ path: 'a-dir', depth: 99 }, { maxDepth: 2 });
    expect(outcome.output).not.toContain('deeper/z.ts');
    expect(outcome.output).toContain('a-dir/nested/deeper/');
  });

  it('never descends into .git or node_modules', async () => {
    const outcome = await list({ depth: 5 });
    expect(outcome.output).not.toContain('HEAD');
    expect(outcome.output).not.toContain('pkg');
  });

  it('keeps shallow entries when truncating and says so', async () => {
    const outcome = await list({ limit: 10 });
    expect(outcome.output.split('\n')).toEqual([
      '.git/ (not listed)',
      'README.md',
      'Z-upper.txt',
      'a-dir/',
      'a-dir/nested/',
      'b.txt',
      'empty/',
      `escape@ -> ${outside}`,
      'link@ -> a-dir/x.ts',
      'node_modules/ (not listed)',
      '[Stopped at 10 entries; more exist. List a subdirectory, or pass a larger limit (at most 1000).]',
    ]);
  });

  it('says a directory is empty', async () => {
    expect(await list({ path: 'empty' })).toEqual({ ok: true, output: 'empty is empty.' });
  });

  it('refuses a file and suggests read_file', async () => {
    const outcome = await list({ path: 'b.txt' });
    expect(outcome).toEqual({
      ok: false,
      output: 'b.txt is a file, not a directory; use read_file to read it.',
    });
  });

  it('says when the directory does not exist', async () => {
    expect(await list({ path: 'missing' })).toEqual({
      ok: false,
      output: 'No such directory: missing.',
    });
  });

  it.each([['..'], ['/etc'], ['escape']])('refuses %j, which leaves the workspace', async (p) => {
    const outcome = await list({ path: p });
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/outside the workspace/);
  });
});
