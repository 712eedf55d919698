import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  mkdir,
  readFile,
  readdir,
  readlink,
  realpath,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDENTITY, synthesizeEtcFiles } from '../../src/sandbox/etc-files.js';
import { ETC_ALLOWLIST, describeHostLayout } from '../../src/sandbox/host-layout.js';
import {
  chooseStageParent,
  planEtcStage,
  sweepStaleEtcStages,
} from '../../src/sandbox/stage-etc-dir.js';
import { closeSandboxes, makeTempDir, openSandbox, runScript } from './helpers.js';

let temp: { dir: string; remove: () => Promise<void> };
const etcTargets = new Set(ETC_ALLOWLIST.map((entry) => `/etc/${entry}`));

beforeAll(async () => {
  temp = await makeTempDir('patchling-stage-test-');
});
afterAll(async () => {
  await closeSandboxes();
  await temp.remove();
});

/** The sandbox's /etc directories under os.tmpdir() that belong to this process. */
async function ourStages(): Promise<string[]> {
  const entries = await readdir(os.tmpdir());
  return entries.filter((entry) => entry.startsWith(`patchling-etc-${process.pid}-`));
}

describe('planEtcStage', () => {
  it('copies the allowlisted /etc files, keeps symlinks, writes passwd/group/hosts, and leaves directories to binds', async () => {
    const layout = await describeHostLayout({
      extraReadOnlyPaths: ['/etc/apt'],
      execPath: process.execPath,
    });
    const files = synthesizeEtcFiles(SANDBOX_IDENTITY);
    const stage = planEtcStage({
      mounts: layout.mounts,
      etcTargets,
      files,
      parentDir: temp.dir,
    });
    const dir = await stage.dir();
    // Made once: every command binds the same directory.
    expect(await stage.dir()).toBe(dir);
    try {
      expect(await readFile(path.join(dir, 'passwd'), 'utf8')).toBe(files.passwd);
      expect(await readFile(path.join(dir, 'hosts'), 'utf8')).toBe(files.hosts);
      // Files copied as on the host, mode kept; symlinks kept as links.
      expect(await readFile(path.join(dir, 'ld.so.cache'))).toEqual(
        await readFile('/etc/ld.so.cache'),
      );
      expect((await stat(path.join(dir, 'ld.so.cache'))).mode & 0o777).toBe(
        (await stat('/etc/ld.so.cache')).mode & 0o777,
      );
      const localtime = layout.mounts.find((m) => m.target === '/etc/localtime');
      if (localtime?.kind === 'symlink') {
        expect(await readlink(path.join(dir, 'localtime'))).toBe(localtime.linkText);
      }
      // Directories (and the extra path) stay binds, over empty mount points.
      for (const target of ['/etc/ssl/certs', '/etc/alternatives', '/etc/apt']) {
        expect(stage.mounts).toContainEqual({ kind: 'ro-bind', source: target, target });
        expect(await readdir(path.join(dir, target.slice('/etc/'.length)))).toEqual([]);
      }
      expect(
        stage.mounts
          .filter((m) => m.target.startsWith('/etc/'))
          .map((m) => m.target)
          .sort(),
      ).toEqual(['/etc/alternatives', '/etc/apt', '/etc/ssl/certs']);
      // Only what was allowlisted: no shadow, no ssh host keys, no ssl/private.
      const names = await readdir(dir);
      expect(names).not.toContain('shadow');
      expect(names).not.toContain('ssh');
      expect(await readdir(path.join(dir, 'ssl'))).toEqual(['certs']);
    } finally {
      await stage.remove();
    }
    expect(existsSync(dir)).toBe(false);
    // Used again after remove() (a sandbox run after close()): made afresh.
    const again = await stage.dir();
    expect(again).not.toBe(dir);
    expect(await readFile(path.join(again, 'group'), 'utf8')).toBe(files.group);
    await stage.remove();
    expect(existsSync(again)).toBe(false);
  });

  it('is made outside the workspace, even when TMPDIR points into it', async () => {
    const workspace = path.join(temp.dir, 'ws');
    const outside = path.join(temp.dir, 'outside');
    await mkdir(path.join(workspace, 'tmp'), { recursive: true });
    await mkdir(outside);
    await symlink(path.join(workspace, 'tmp'), path.join(temp.dir, 'link-into-ws'));
    const candidates = [
      path.join(workspace, 'tmp'),
      path.join(temp.dir, 'link-into-ws'),
      path.join(temp.dir, 'missing'),
      outside,
    ];
    expect(await chooseStageParent(workspace, candidates)).toBe(outside);
    await expect(chooseStageParent(workspace, candidates.slice(0, 3))).rejects.toThrow(
      /outside the workspace .*TMPDIR/,
    );
  });

  it('sweeps stages left by dead processes only', async () => {
    const parent = path.join(temp.dir, 'sweep');
    await mkdir(parent);
    // A pid that has exited: a child we waited for.
    const dead = await new Promise<number>((resolve) => {
      const child = spawn('true');
      child.on('exit', () => resolve(child.pid!));
    });
    const stale = path.join(parent, `patchling-etc-${dead}-Abc123`);
    const live = path.join(parent, `patchling-etc-${process.pid}-Xyz789`);
    const unrelated = path.join(parent, `patchling-etc-${dead}-not-ours`);
    for (const dir of [stale, live, unrelated]) {
      await mkdir(dir);
      await writeFile(path.join(dir, 'passwd'), 'x');
    }
    await sweepStaleEtcStages(parent);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
  });
});

describe('the staged /etc inside the sandbox', () => {
  it('shows the sandbox user, localhost and the CA bundle, read-only, and is removed at close', async () => {
    const before = await ourStages();
    const workspace = await realpath(path.join(temp.dir));
    const sandbox = await openSandbox({ workspace, extraReadOnlyPaths: ['/etc/apt'] });
    expect((await ourStages()).length).toBe(before.length + 1);
    const result = await runScript(
      sandbox,
      [
        'id -un',
        'getent hosts localhost | head -1',
        'test -s /etc/ssl/certs/ca-certificates.crt && echo CA-OK',
        'test -d /etc/apt && ls /etc/apt >/dev/null && echo APT-OK',
        'touch /etc/new 2>/dev/null || echo RO-OK',
        'ls /etc',
      ].join('\n'),
    );
    expect(result.exitCode).toBe(0);
    const lines = result.output.trim().split('\n');
    expect(lines[0]).toBe('patchling');
    expect(lines[1]).toMatch(/^(127\.0\.0\.1|::1)\s+localhost/);
    expect(lines.slice(2, 5)).toEqual(['CA-OK', 'APT-OK', 'RO-OK']);
    const listed = lines.slice(5);
    expect(listed).toEqual(expect.arrayContaining(['passwd', 'group', 'hosts', 'ssl']));
    expect(listed).not.toContain('shadow');
    await sandbox.close?.();
    expect(await ourStages()).toEqual(before);
    // Used after close(), as its cgroups allow: the stage is made again, and removed again.
    expect((await runScript(sandbox, 'id -un')).output.trim()).toBe('patchling');
    await sandbox.close?.();
    expect(await ourStages()).toEqual(before);
  });
});
