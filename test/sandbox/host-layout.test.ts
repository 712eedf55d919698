import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHostLayout } from '../../src/sandbox/host-layout.js';
import { makeTempDir } from './helpers.js';

let etcDir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  const temp = await makeTempDir('patchling-etc-');
  remove = temp.remove;
  etcDir = path.join(temp.dir, 'etc');
  await mkdir(path.join(etcDir, 'ssl', 'certs'), { recursive: true });
  await mkdir(path.join(etcDir, 'ssl', 'private'), { recursive: true });
  await mkdir(path.join(etcDir, 'alternatives'));
  await writeFile(path.join(etcDir, 'shadow'), 'root:$6$hash');
  await writeFile(path.join(etcDir, 'ld.so.cache'), 'cache');
  // An allowlisted name that points at a secret must not smuggle it in.
  await symlink(path.join(etcDir, 'shadow'), path.join(etcDir, 'nsswitch.conf'));
  await symlink('/usr/share/zoneinfo/Etc/UTC', path.join(etcDir, 'localtime'));
});
afterAll(() => remove());

describe('describeHostLayout', () => {
  it('binds only allowlisted /etc entries, never a secret behind a symlink', async () => {
    const layout = await describeHostLayout({
      extraReadOnlyPaths: [],
      execPath: process.execPath,
      etcDir,
    });
    const targets = layout.mounts.map((mount) => mount.target);
    expect(targets).toContain('/etc/ld.so.cache');
    expect(targets).toContain('/etc/alternatives');
    expect(targets).toContain('/etc/ssl/certs');
    expect(targets).toContain('/etc/localtime');
    expect(targets).not.toContain('/etc/shadow');
    expect(targets).not.toContain('/etc/nsswitch.conf');
    expect(targets.some((target) => target.includes('private'))).toBe(false);
    expect(layout.mounts).toContainEqual({ kind: 'ro-bind', source: '/usr', target: '/usr' });
    expect(layout.mounts.find((mount) => mount.target === '/etc/localtime')).toMatchObject({
      kind: 'symlink',
    });
  });

  it('refuses extra read-only paths that would expose the host or its secrets', async () => {
    for (const extra of ['/', '/etc', '/etc/ssh', 'relative/path', '/no/such/path']) {
      await expect(
        describeHostLayout({ extraReadOnlyPaths: [extra], execPath: process.execPath, etcDir }),
      ).rejects.toThrow(/extraReadOnlyPaths/);
    }
  });
});
