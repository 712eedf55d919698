import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeInstallRoot } from '../../src/sandbox/host-layout.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'patchling-node-root-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('which part of node’s installation the sandbox shows', () => {
  it('shows the whole prefix of a real node install (bundled npm, or headers)', async () => {
    await mkdir(path.join(root, 'usr-local', 'bin'), { recursive: true });
    await mkdir(path.join(root, 'usr-local', 'lib', 'node_modules', 'npm'), { recursive: true });
    await mkdir(path.join(root, 'toolcache', 'bin'), { recursive: true });
    await mkdir(path.join(root, 'toolcache', 'include', 'node'), { recursive: true });
    expect(await nodeInstallRoot(path.join(root, 'usr-local', 'bin'))).toBe(
      path.join(root, 'usr-local'),
    );
    expect(await nodeInstallRoot(path.join(root, 'toolcache', 'bin'))).toBe(
      path.join(root, 'toolcache'),
    );
  });

  it('shows only bin/ when node sits in some other directory’s bin (a home, an app)', async () => {
    // e.g. ~/bin/node or /srv/app/bin/node: the parent holds .env files, keys, state.
    await mkdir(path.join(root, 'app', 'bin'), { recursive: true });
    expect(await nodeInstallRoot(path.join(root, 'app', 'bin'))).toBe(
      path.join(root, 'app', 'bin'),
    );
    expect(await nodeInstallRoot('/bin')).toBe('/bin');
  });
});
