import { mkdtemp, mkdir, symlink, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkspacePathError,
  resolveWorkspacePath,
} from '../../src/workspace/resolve-workspace-path.js';

let workspace: string;
let outside: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-ws-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-'));
  await mkdir(path.join(workspace, 'src'));
  await mkdir(path.join(workspace, '.git'));
  await writeFile(path.join(workspace, 'src', 'a.ts'), 'a');
  await symlink(outside, path.join(workspace, 'escape'));
  await symlink(path.join(outside, 'secret.txt'), path.join(workspace, 'secret-link'));
  await symlink(path.join(workspace, 'src'), path.join(workspace, 'inner-link'));
  await symlink(path.join(workspace, '.git'), path.join(workspace, 'git-link'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('resolveWorkspacePath', () => {
  it('resolves relative paths, existing or not, inside the workspace', async () => {
    const real = await resolveWorkspacePath(workspace, 'src/a.ts');
    expect(real.endsWith(path.join('src', 'a.ts'))).toBe(true);
    const created = await resolveWorkspacePath(workspace, 'src/new/dir/file.ts', {
      forWrite: true,
    });
    expect(created.endsWith(path.join('src', 'new', 'dir', 'file.ts'))).toBe(true);
  });

  it('accepts an absolute path that lies inside the workspace', async () => {
    const abs = path.join(workspace, 'src', 'a.ts');
    await expect(resolveWorkspacePath(workspace, abs)).resolves.toMatch(/src\/a\.ts$/);
  });

  it.each([['../outside.txt'], ['src/../../outside.txt'], ['/etc/passwd'], ['']])(
    'refuses %j',
    async (requested) => {
      await expect(resolveWorkspacePath(workspace, requested)).rejects.toBeInstanceOf(
        WorkspacePathError,
      );
    },
  );

  it('refuses symlinks that lead outside, for a directory or the last component', async () => {
    await expect(resolveWorkspacePath(workspace, 'escape/file.txt')).rejects.toThrow(
      /symbolic link/,
    );
    await expect(resolveWorkspacePath(workspace, 'secret-link')).rejects.toThrow(/symbolic link/);
  });

  it('follows symlinks that stay inside', async () => {
    await expect(resolveWorkspacePath(workspace, 'inner-link/a.ts')).resolves.toMatch(
      /inner-link\/a\.ts$/,
    );
  });

  it('refuses writes into .git, directly or through a link, but allows reads', async () => {
    await expect(
      resolveWorkspacePath(workspace, '.git/config', { forWrite: true }),
    ).rejects.toThrow(/\.git/);
    await expect(
      resolveWorkspacePath(workspace, 'git-link/hooks/pre-commit', { forWrite: true }),
    ).rejects.toThrow(/\.git/);
    await expect(resolveWorkspacePath(workspace, '.git/config')).resolves.toMatch(/config$/);
  });
});
