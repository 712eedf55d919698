import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectSetupCommand } from '../../src/setup/detect-setup-command.js';
import {
  DEFAULT_SETUP_CACHE_MAX_BYTES,
  SetupCache,
  setupCacheKey,
  setupCacheMaxBytesFromEnv,
} from '../../src/setup/setup-cache.js';

const run = promisify(execFile);
let scratch: string;

beforeEach(async () => {
  scratch = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-cache-test-')));
});
afterEach(() => rm(scratch, { recursive: true, force: true }));

async function checkout(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(scratch, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('setupCacheKey', () => {
  it('is the same for the same script and lockfiles anywhere, and changes with either', async () => {
    const files = {
      'package.json': '{}',
      'package-lock.json': '{"lockfileVersion":3}',
      'src/a.js': '1',
    };
    const a = await checkout('a', files);
    const b = await checkout('b', { ...files, 'src/a.js': 'other code' });
    const c = await checkout('c', { ...files, 'package-lock.json': '{"lockfileVersion":3,"x":1}' });
    expect(await setupCacheKey(a, 'npm ci')).toBe(await setupCacheKey(b, 'npm ci'));
    expect(await setupCacheKey(a, 'npm ci')).not.toBe(await setupCacheKey(c, 'npm ci'));
    expect(await setupCacheKey(a, 'npm ci')).not.toBe(await setupCacheKey(a, 'npm install'));
  });

  it('does not follow a lockfile that is a symlink out of the checkout', async () => {
    const a = await checkout('a', { 'package.json': '{}' });
    const b = await checkout('b', { 'package.json': '{}' });
    await symlink('/etc/hostname', path.join(b, 'package-lock.json'));
    expect(await setupCacheKey(b, 'npm ci')).toBe(await setupCacheKey(a, 'npm ci'));
  });
});

describe('SetupCache', () => {
  async function installed(name: string, bytes: number): Promise<string> {
    return checkout(name, { 'node_modules/dep/index.js': 'x'.repeat(bytes) });
  }

  it('stores the created paths as an archive and finds them again by scope and key', async () => {
    const cache = new SetupCache(path.join(scratch, 'cache'));
    const ws = await installed('ws', 100);
    await chmod(path.join(ws, 'node_modules/dep/index.js'), 0o4755);
    const size = await cache.store('repo-a', 'k1', ws, ['node_modules'], 'npm ci');
    expect(size).toBeGreaterThan(0);
    expect(await cache.lookup('repo-b', 'k1')).toBeUndefined();
    const entry = await cache.lookup('repo-a', 'k1');
    expect(entry).toMatchObject({ paths: ['node_modules'], bytes: size });
    const { stdout } = await run('tar', ['-tvf', entry?.archive as string]);
    expect(stdout).toContain('node_modules/dep/index.js');
    // Set-id bits never travel through the cache.
    expect(stdout).toMatch(/-rwxr-xr-x .*node_modules\/dep\/index\.js/);
  });

  it('evicts the least recently used entries past its size, keeping one just used', async () => {
    // Each archive is 30 KiB (tar pads to 10 KiB records): three fit, four do not.
    const cache = new SetupCache(path.join(scratch, 'cache'), 100_000);
    for (const [key, age] of [
      ['old', 300],
      ['used', 200],
      ['new', 100],
    ] as const) {
      await cache.store('repo', key, await installed(key, 25_000), ['node_modules'], 'npm ci');
      const entry = await cache.lookup('repo', key);
      const when = new Date(Date.now() - age * 1000);
      await utimes(entry?.archive as string, when, when);
    }
    // Using an entry makes it the most recent.
    expect(await cache.lookup('repo', 'used')).toBeDefined();
    await cache.store(
      'repo',
      'newest',
      await installed('newest', 25_000),
      ['node_modules'],
      'npm ci',
    );
    expect(await cache.lookup('repo', 'old')).toBeUndefined();
    for (const key of ['used', 'new', 'newest'])
      expect(await cache.lookup('repo', key)).toBeDefined();
  });

  it('keeps nothing larger than the whole cache', async () => {
    const cache = new SetupCache(path.join(scratch, 'cache'), 10_000);
    const size = await cache.store(
      'repo',
      'big',
      await installed('big', 50_000),
      ['node_modules'],
      'npm ci',
    );
    expect(size).toBeUndefined();
    expect(await cache.lookup('repo', 'big')).toBeUndefined();
  });
});

describe('detectSetupCommand', () => {
  it.each([
    [{ 'package-lock.json': '{}' }, 'npm ci', 'package-lock.json'],
    [
      { 'pnpm-lock.yaml': '', 'package-lock.json': '{}' },
      'pnpm install --frozen-lockfile',
      'pnpm-lock.yaml',
    ],
    [{ 'yarn.lock': '', '.yarnrc.yml': '' }, 'yarn install --immutable', '.yarnrc.yml'],
    [{ 'yarn.lock': '' }, 'yarn install --frozen-lockfile', 'yarn.lock'],
    [{ 'uv.lock': '' }, 'uv sync --frozen', 'uv.lock'],
    [
      { 'requirements.txt': '' },
      'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt',
      'requirements.txt',
    ],
    [{ 'go.sum': '' }, 'go mod vendor', 'go.sum'],
    [{ 'Cargo.lock': '' }, 'cargo fetch --locked', 'Cargo.lock'],
    [
      { 'Gemfile.lock': '' },
      'bundle config set --local path vendor/bundle && bundle install',
      'Gemfile.lock',
    ],
    [
      { 'package-lock.json': '{}', 'requirements.txt': '' },
      'npm ci && python3 -m venv .venv && .venv/bin/pip install -r requirements.txt',
      'package-lock.json, requirements.txt',
    ],
  ])('%j: %s', async (files, command, source) => {
    const dir = await checkout('ws', files);
    expect(await detectSetupCommand(dir)).toEqual({ command, source });
  });

  it('finds nothing without a lockfile, and ignores a lockfile that is a symlink', async () => {
    const dir = await checkout('ws', { 'package.json': '{}' });
    expect(await detectSetupCommand(dir)).toBeUndefined();
    await symlink('/etc/hostname', path.join(dir, 'package-lock.json'));
    expect(await detectSetupCommand(dir)).toBeUndefined();
  });
});

describe('setupCacheMaxBytesFromEnv', () => {
  it('reads megabytes, defaults to 4 GiB, and refuses anything else', () => {
    expect(setupCacheMaxBytesFromEnv({})).toBe(DEFAULT_SETUP_CACHE_MAX_BYTES);
    expect(setupCacheMaxBytesFromEnv({ PATCHLING_SETUP_CACHE_MAX_MB: '512' })).toBe(
      512 * 1024 * 1024,
    );
    for (const bad of ['0', '1.5', '2G', '-3']) {
      expect(() => setupCacheMaxBytesFromEnv({ PATCHLING_SETUP_CACHE_MAX_MB: bad })).toThrow(
        'PATCHLING_SETUP_CACHE_MAX_MB must be a whole number of megabytes',
      );
    }
  });
});
