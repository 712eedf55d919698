import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withDirectoryLock } from '../../../src/workspace/git/directory-lock.js';
import { HEAD_REF } from '../../../src/workspace/git/fetch-job-history.js';
import { prepareJobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import type { JobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import { evictGitCache, mirrorDirFor } from '../../../src/workspace/git/repo-cache.js';
import { TEST_TOKEN, createPrFixture, git } from './pr-fixture.js';
import type { PrFixture } from './pr-fixture.js';
import { filesContaining, listAllFiles } from './workspace-files.js';

const TOKEN_SPELLINGS = [
  TEST_TOKEN,
  Buffer.from(`x-access-token:${TEST_TOKEN}`).toString('base64'),
  Buffer.from(TEST_TOKEN).toString('base64'),
];

let fixture: PrFixture;
let parentDir: string;
let cacheRoot: string;
const open: JobWorkspace[] = [];

beforeAll(async () => {
  fixture = await createPrFixture();
});

afterEach(async () => {
  for (const workspace of open.splice(0)) await workspace.dispose();
  await rm(parentDir, { recursive: true, force: true });
  await rm(cacheRoot, { recursive: true, force: true });
});

afterAll(async () => {
  await fixture.close();
});

async function fresh(): Promise<void> {
  parentDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-jobs-'));
  cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'patchling-git-cache-'));
}

async function prepare(headSha: string, since?: string): Promise<JobWorkspace> {
  const workspace = await prepareJobWorkspace({
    remoteUrl: fixture.url('origin.git'),
    token: TEST_TOKEN,
    headSha,
    ref: 'refs/heads/feature',
    baseRef: 'main',
    parentDir,
    since,
    cache: { root: cacheRoot },
  });
  open.push(workspace);
  return workspace;
}

function mirror(): string {
  return mirrorDirFor(cacheRoot, new URL(fixture.url('origin.git')));
}

/** Upload-pack POSTs the server answered since `from`: each is one fetch negotiation. */
function fetchesSince(from: number): number {
  return fixture.server.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && r.service === 'upload-pack').length;
}

/** A new commit on the fixture's feature branch, pushed to the served repositories. */
async function pushToFeature(file: string, content: string): Promise<string> {
  const src = path.join(fixture.root, 'src');
  await git(src, 'checkout', '--quiet', 'feature');
  await writeFile(path.join(src, file), content);
  await git(src, 'add', '-A');
  await git(src, 'commit', '--quiet', '-m', `change ${file}`);
  const sha = await git(src, 'rev-parse', 'HEAD');
  await git(src, 'push', '--quiet', fixture.bare('origin.git'), 'feature');
  await git(src, 'checkout', '--quiet', 'main');
  return sha;
}

describe('prepareJobWorkspace with a git cache', () => {
  it('fills the job from a bare partial mirror, then fetches only what is new for the next job', async () => {
    await fresh();
    const first = await prepare(fixture.shas.f2);
    expect(first.headSha).toBe(fixture.shas.f2);
    expect(first.mergeBase).toBe(fixture.shas.c2);
    expect(first.history).toBe('partial');
    expect(await git(first.dir, 'rev-parse', 'HEAD')).toBe(fixture.shas.f2);
    expect(await git(first.dir, 'rev-parse', 'origin/main')).toBe(fixture.shas.c3);
    expect(await git(first.dir, 'status', '--porcelain')).toBe('');
    // The diff against the merge base works offline: its blobs came with the mirror.
    expect(
      await git(first.dir, '-c', 'protocol.allow=never', 'diff', '--stat', first.mergeBase!),
    ).toContain('sum.js');

    // The mirror is bare, partial, and holds the head; the job's objects are links into it.
    expect(await git(mirror(), 'rev-parse', '--is-bare-repository')).toBe('true');
    expect(await git(mirror(), 'config', 'remote.origin.partialclonefilter')).toBe('blob:none');
    expect(await git(mirror(), 'rev-parse', HEAD_REF)).toBe(fixture.shas.f2);
    const packs = (await readdir(path.join(first.dir, '.git/objects/pack'))).filter((f) =>
      f.endsWith('.pack'),
    );
    expect(packs.length).toBeGreaterThan(0);
    for (const pack of packs) {
      expect((await stat(path.join(first.dir, '.git/objects/pack', pack))).nlink).toBeGreaterThan(
        1,
      );
    }
    // No alternates: the sandbox, which sees only the workspace, has every object it needs.
    expect(await listAllFiles(path.join(first.dir, '.git/objects/info'))).toEqual([]);

    // A second job after one new commit: one negotiation, and the mirror keeps its old packs.
    const before = new Set(await readdir(path.join(mirror(), 'objects/pack')));
    const newHead = await pushToFeature('later.md', 'a later commit\n');
    const mark = fixture.server.requests.length;
    const second = await prepare(newHead, fixture.shas.f2);
    expect(second.headSha).toBe(newHead);
    expect(second.since).toBe(fixture.shas.f2);
    expect(await git(second.dir, 'diff', '--name-only', fixture.shas.f2, 'HEAD')).toBe('later.md');
    const after = new Set(await readdir(path.join(mirror(), 'objects/pack')));
    expect([...before].every((file) => after.has(file))).toBe(true);
    // The commit and tree fetch, then one batch of new blobs; nothing of the old history.
    expect(fetchesSince(mark)).toBeLessThanOrEqual(3);

    // Neither the mirror nor the jobs hold the token.
    expect(await filesContaining(cacheRoot, TOKEN_SPELLINGS)).toEqual([]);
    expect(await filesContaining(second.dir, TOKEN_SPELLINGS)).toEqual([]);
  });

  it('keeps what a job writes out of the shared mirror', async () => {
    await fresh();
    const workspace = await prepare(fixture.shas.f2);
    await writeFile(path.join(workspace.dir, 'new.txt'), 'written by the job\n');
    await git(workspace.dir, 'add', 'new.txt');
    await git(workspace.dir, 'commit', '--quiet', '-m', 'job commit');
    const commit = await git(workspace.dir, 'rev-parse', 'HEAD');

    await expect(git(mirror(), 'cat-file', '-e', `${commit}^{commit}`)).rejects.toThrow();
    await workspace.dispose();
    // Removing the job's directory leaves the mirror whole.
    expect(await git(mirror(), 'rev-parse', `${HEAD_REF}^{tree}`)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('serves two jobs of one repository at once, one fetch after the other under the lock', async () => {
    await fresh();
    const [a, b] = await Promise.all([prepare(fixture.shas.f2), prepare(fixture.shas.f2)]);
    expect(await git(a.dir, 'rev-parse', 'HEAD')).toBe(fixture.shas.f2);
    expect(await git(b.dir, 'rev-parse', 'HEAD')).toBe(fixture.shas.f2);
    expect(a.dir).not.toBe(b.dir);
    expect((await readdir(cacheRoot)).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });
});

describe('evictGitCache', () => {
  it('removes the least recently used mirrors until they fit, sparing the one in use and locked ones', async () => {
    await fresh();
    const make = async (name: string, bytes: number, usedAt: number) => {
      const dir = path.join(cacheRoot, `${name}.git`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'pack'), Buffer.alloc(bytes));
      await writeFile(path.join(dir, 'patchling-last-used'), '');
      const when = new Date(usedAt);
      const { utimes } = await import('node:fs/promises');
      await utimes(path.join(dir, 'patchling-last-used'), when, when);
      return dir;
    };
    const oldest = await make('oldest', 1000, 1_000_000);
    const locked = await make('locked', 1000, 2_000_000);
    const older = await make('older', 1000, 3_000_000);
    const inUse = await make('in-use', 1000, 500_000);

    let evicted: string[] = [];
    await withDirectoryLock(`${locked}.lock`, async () => {
      evicted = await evictGitCache(cacheRoot, 1500, inUse);
    });

    expect(evicted).toEqual([oldest, older]);
    expect((await readdir(cacheRoot)).sort()).toEqual(['in-use.git', 'locked.git']);
  });
});

describe('withDirectoryLock', () => {
  it('does not wait with timeoutMs 0, and takes over a lock whose process is gone', async () => {
    await fresh();
    const lock = path.join(cacheRoot, 'x.lock');
    await withDirectoryLock(lock, async () => {
      expect(await withDirectoryLock(lock, async () => 'inner', { timeoutMs: 0 })).toBeUndefined();
    });
    // A lock left by a process that died: a pid that cannot exist on this host.
    await mkdir(lock);
    await writeFile(
      path.join(lock, 'owner.json'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }),
    );
    expect(await withDirectoryLock(lock, async () => 'taken', { timeoutMs: 0 })).toEqual({
      value: 'taken',
    });
  });
});
