import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWorkspaceFile } from '../../src/workspace/read-workspace-file.js';
import { WorkspacePathError } from '../../src/workspace/resolve-workspace-path.js';

let root: string;
let workspace: string;
const HOST_SECRET = 'host-only-content-7f3a';

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-read-guard-')));
  workspace = path.join(root, 'ws');
  await mkdir(path.join(workspace, '.github'), { recursive: true });
  await writeFile(path.join(root, 'host-file'), `${HOST_SECRET}\n`);
  await writeFile(path.join(workspace, 'plain.yml'), 'review: {}\n');
  await symlink('plain.yml', path.join(workspace, 'inner-link.yml'));
  await symlink(path.join(root, 'host-file'), path.join(workspace, '.github', 'patchling.yml'));
  await symlink('../host-file', path.join(workspace, '.gitattributes'));
  execFileSync('mkfifo', [path.join(workspace, 'AGENTS.md')]);
  await writeFile(path.join(workspace, 'big.json'), 'x'.repeat(2048));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readWorkspaceFile', () => {
  it('reads a regular file, also through a symlink that stays inside', async () => {
    expect(await readWorkspaceFile(workspace, 'plain.yml')).toBe('review: {}\n');
    expect(await readWorkspaceFile(workspace, 'inner-link.yml')).toBe('review: {}\n');
  });

  it('answers undefined for a missing file', async () => {
    expect(await readWorkspaceFile(workspace, 'missing.yml')).toBeUndefined();
    expect(await readWorkspaceFile(workspace, 'missing/dir/x.yml')).toBeUndefined();
  });

  it('refuses a symlink to a host file without quoting a byte of it', async () => {
    for (const file of ['.github/patchling.yml', '.gitattributes']) {
      const error = await readWorkspaceFile(workspace, file).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkspacePathError);
      expect(String(error)).not.toContain(HOST_SECRET);
      expect(String(error)).toMatch(/outside the workspace/);
    }
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const started = Date.now();
    await expect(readWorkspaceFile(workspace, 'AGENTS.md')).rejects.toThrow(
      /"AGENTS.md" in the workspace is not a regular file/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a directory and a file over the size cap', async () => {
    await expect(readWorkspaceFile(workspace, '.github')).rejects.toThrow(/not a regular file/);
    await expect(readWorkspaceFile(workspace, 'big.json', { maxBytes: 1024 })).rejects.toThrow(
      /2048 bytes, over the 1024-byte limit/,
    );
  });
});
