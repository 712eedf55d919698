import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENTS_MD_LIMIT_BYTES, loadAgentsInstructions } from '../../src/agent/load-agents-md.js';

const TRUNCATION_LINE = '[AGENTS.md instructions truncated at 32 KiB]';

let root: string;
let outside: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-agents-')));
  outside = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-')));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function put(file: string, content: string, base = root): Promise<void> {
  await mkdir(path.dirname(path.join(base, file)), { recursive: true });
  await writeFile(path.join(base, file), content);
}

/** The text before the truncation line, if any. */
const body = (text: string) => text.replace(`\n\n${TRUNCATION_LINE}`, '');

describe('loadAgentsInstructions', () => {
  it('reads AGENTS.md from the root down to the working directory, deepest last', async () => {
    await put('AGENTS.md', 'ROOT rules\n');
    await put('pkg/AGENTS.md', 'PKG rules\n');
    await put('pkg/sub/AGENTS.md', 'SUB rules\n');
    await put('other/AGENTS.md', 'OTHER rules\n');

    const result = await loadAgentsInstructions(root, path.join(root, 'pkg', 'sub'));
    expect(result.files).toEqual(['AGENTS.md', 'pkg/AGENTS.md', 'pkg/sub/AGENTS.md']);
    expect(result.text).toBe(
      '# AGENTS.md\n\nROOT rules\n\n# pkg/AGENTS.md\n\nPKG rules\n\n# pkg/sub/AGENTS.md\n\nSUB rules',
    );
    expect(result.truncated).toBe(false);
  });

  it('lets AGENTS.override.md replace AGENTS.md in its own directory only', async () => {
    await put('AGENTS.md', 'ROOT rules');
    await put('pkg/AGENTS.md', 'PKG rules');
    await put('pkg/AGENTS.override.md', 'PKG override');

    const result = await loadAgentsInstructions(root, path.join(root, 'pkg'));
    expect(result.files).toEqual(['AGENTS.md', 'pkg/AGENTS.override.md']);
    expect(result.text).toContain('ROOT rules');
    expect(result.text).toContain('PKG override');
    expect(result.text).not.toContain('PKG rules');
  });

  it('returns nothing when there is no AGENTS.md', async () => {
    expect(await loadAgentsInstructions(root, root)).toEqual({
      text: '',
      files: [],
      truncated: false,
    });
  });

  it('caps one oversized file at 32 KiB and says so', async () => {
    await put('AGENTS.md', 'x'.repeat(40 * 1024));
    const result = await loadAgentsInstructions(root, root);
    expect(result.truncated).toBe(true);
    expect(result.text.endsWith(`\n\n${TRUNCATION_LINE}`)).toBe(true);
    expect(Buffer.byteLength(body(result.text))).toBe(AGENTS_MD_LIMIT_BYTES);
  });

  it('caps all files together at 32 KiB, dropping what does not fit', async () => {
    await put('AGENTS.md', 'a'.repeat(20 * 1024));
    await put('pkg/AGENTS.md', 'b'.repeat(20 * 1024));
    await put('pkg/sub/AGENTS.md', 'Z'.repeat(1024));
    const result = await loadAgentsInstructions(root, path.join(root, 'pkg', 'sub'));
    expect(result.truncated).toBe(true);
    expect(result.files).toEqual(['AGENTS.md', 'pkg/AGENTS.md']);
    expect(result.text.includes('ZZZZ')).toBe(false);
    expect(result.text.endsWith(`\n\n${TRUNCATION_LINE}`)).toBe(true);
    expect(Buffer.byteLength(body(result.text))).toBeLessThanOrEqual(AGENTS_MD_LIMIT_BYTES);
  });

  it('never cuts a character in half at the cap', async () => {
    await put('AGENTS.md', '€'.repeat(12 * 1024));
    const result = await loadAgentsInstructions(root, root);
    expect(result.truncated).toBe(true);
    expect(result.text.includes('\uFFFD')).toBe(false);
    expect(Buffer.byteLength(body(result.text))).toBeLessThanOrEqual(AGENTS_MD_LIMIT_BYTES);
  });

  it('does not read an AGENTS.md that is a symlink to a file outside the workspace', async () => {
    await put('secret.md', 'HOST SECRET', outside);
    await symlink(path.join(outside, 'secret.md'), path.join(root, 'AGENTS.md'));
    await mkdir(path.join(root, 'pkg'));
    await symlink(path.join(outside, 'secret.md'), path.join(root, 'pkg', 'AGENTS.override.md'));
    await put('pkg/AGENTS.md', 'PKG rules');

    const result = await loadAgentsInstructions(root, path.join(root, 'pkg'));
    expect(result.text).not.toContain('HOST SECRET');
    expect(result.files).toEqual(['pkg/AGENTS.md']);
  });

  it('does not read through a symlinked directory that leads outside the workspace', async () => {
    await put('AGENTS.md', 'HOST SECRET', outside);
    await symlink(outside, path.join(root, 'linked'));
    const result = await loadAgentsInstructions(root, path.join(root, 'linked'));
    expect(result.text).not.toContain('HOST SECRET');
  });
});
