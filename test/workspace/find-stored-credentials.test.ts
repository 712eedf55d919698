import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findStoredCredentials } from '../../src/workspace/find-stored-credentials.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function repo(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-creds-'));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
      cwd: dir,
    });
  git('init', '-q');
  await writeFile(path.join(dir, 'a.txt'), 'a\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
  return dir;
}

describe('findStoredCredentials', () => {
  it('finds nothing in a clean checkout', async () => {
    expect(await findStoredCredentials(await repo())).toBeUndefined();
  });

  it('finds the extraheader actions/checkout persists', async () => {
    const dir = await repo();
    execFileSync(
      'git',
      ['config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic abc='],
      { cwd: dir },
    );
    expect(await findStoredCredentials(dir)).toEqual({
      key: 'http.https://github.com/.extraheader',
      where: expect.stringMatching(/\.git\/config:\d+$/) as unknown,
      kind: 'http extraheader',
    });
  });

  it('finds a remote URL with a password, but not one with a user only', async () => {
    const dir = await repo();
    execFileSync('git', ['remote', 'add', 'origin', 'https://git@example.com/o/r.git'], {
      cwd: dir,
    });
    expect(await findStoredCredentials(dir)).toBeUndefined();
    execFileSync(
      'git',
      ['remote', 'set-url', 'origin', 'https://x-access-token:ghs_abc@example.com/o/r.git'],
      { cwd: dir },
    );
    expect(await findStoredCredentials(dir)).toMatchObject({
      key: 'remote.origin.url',
      kind: 'a remote URL with a password',
    });
  });

  it('reads the shared config of a linked worktree', async () => {
    const dir = await repo();
    execFileSync('git', ['config', 'http.extraheader', 'AUTHORIZATION: basic abc='], { cwd: dir });
    const worktree = `${dir}-wt`;
    dirs.push(worktree);
    execFileSync('git', ['worktree', 'add', '-q', worktree], { cwd: dir });
    expect(await findStoredCredentials(worktree)).toMatchObject({ key: 'http.extraheader' });
  });
});
