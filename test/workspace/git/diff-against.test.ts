import { mkdir, mkdtemp, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changedFiles, parseNameStatus } from '../../../src/workspace/git/changed-files.js';
import { diffAgainst } from '../../../src/workspace/git/diff-against.js';
import { prepareJobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import type { JobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import { TEST_TOKEN, createPrFixture, git } from './pr-fixture.js';
import type { PrFixture } from './pr-fixture.js';

let fixture: PrFixture;
let parentDir: string;
let workspace: JobWorkspace;

beforeAll(async () => {
  fixture = await createPrFixture();
  parentDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-diff-'));
});

beforeEach(async () => {
  workspace = await prepareJobWorkspace({
    remoteUrl: fixture.url('origin.git'),
    token: TEST_TOKEN,
    headSha: fixture.shas.f2,
    baseRef: 'main',
    parentDir,
  });
  return () => workspace.dispose();
});

afterAll(async () => {
  await fixture.close();
  await rm(parentDir, { recursive: true, force: true });
});

/** What an agent might leave behind: an edit, a new file, a deletion, a rename, build output. */
async function makeAgentChanges(dir: string): Promise<void> {
  await writeFile(path.join(dir, 'sum.js'), 'export const sum = (a, b) => a + b + 0;\n');
  await writeFile(path.join(dir, 'added.txt'), 'brand new\n');
  await unlink(path.join(dir, 'notes.md'));
  await rename(path.join(dir, 'LICENSE'), path.join(dir, 'LICENSE.txt'));
  await writeFile(path.join(dir, '.gitignore'), 'build/\n');
  await mkdir(path.join(dir, 'build'));
  await writeFile(path.join(dir, 'build', 'out.js'), 'ignored\n');
}

describe('diffAgainst', () => {
  it('shows every change since the head, untracked files included, ignored ones not', async () => {
    await makeAgentChanges(workspace.dir);
    const diff = await diffAgainst({ dir: workspace.dir, base: workspace.headSha });
    expect(diff).toContain('diff --git a/added.txt b/added.txt\nnew file mode 100644');
    expect(diff).toContain('+brand new');
    expect(diff).toContain(
      '-export const sum = (a, b) => a + b;\n+export const sum = (a, b) => a + b + 0;',
    );
    expect(diff).toContain('diff --git a/notes.md b/notes.md\ndeleted file mode 100644');
    expect(diff).toContain('rename from LICENSE\nrename to LICENSE.txt');
    expect(diff).toContain('+build/');
    expect(diff).not.toContain('build/out.js');
  });

  it('leaves the workspace index alone and no temporary index behind', async () => {
    await makeAgentChanges(workspace.dir);
    const statusBefore = await git(workspace.dir, 'status', '--porcelain');
    await diffAgainst({ dir: workspace.dir, base: 'HEAD' });
    expect(await git(workspace.dir, 'status', '--porcelain')).toBe(statusBefore);
    expect(statusBefore).toContain('?? added.txt');
    expect(
      (await readdir(path.join(workspace.dir, '.git'))).filter((f) => f.startsWith('patchling-')),
    ).toEqual([]);
  });

  it('diffs against the merge base without network (the base blobs were prefetched)', async () => {
    await writeFile(path.join(workspace.dir, 'added.txt'), 'brand new\n');
    const diff = await diffAgainst({ dir: workspace.dir, base: workspace.mergeBase ?? '' });
    expect(diff).toContain(
      '-export const sum = (a, b) => a - b;\n+export const sum = (a, b) => a + b;',
    );
    expect(diff).toContain('+fixed sum');
    expect(diff).toContain('+brand new');
  });

  it('is empty when nothing changed', async () => {
    await expect(diffAgainst({ dir: workspace.dir, base: 'HEAD' })).resolves.toBe('');
  });

  it('refuses a base that is not a plain revision', async () => {
    await expect(diffAgainst({ dir: workspace.dir, base: '--output=/tmp/x' })).rejects.toThrow(
      /not a valid git ref/,
    );
    await expect(diffAgainst({ dir: workspace.dir, base: 'no-such-ref' })).rejects.toThrow(
      /Computing the diff failed/,
    );
  });
});

describe('changedFiles', () => {
  it('lists the same changes, with statuses and exact paths', async () => {
    await makeAgentChanges(workspace.dir);
    await writeFile(path.join(workspace.dir, 'odd name\twith tab.txt'), 'x\n');
    const files = await changedFiles({ dir: workspace.dir, base: workspace.headSha });
    expect(files).toEqual(
      expect.arrayContaining([
        { path: 'sum.js', status: 'modified' },
        { path: 'added.txt', status: 'added' },
        { path: 'notes.md', status: 'deleted' },
        { path: 'LICENSE.txt', oldPath: 'LICENSE', status: 'renamed' },
        { path: '.gitignore', status: 'added' },
        { path: 'odd name\twith tab.txt', status: 'added' },
      ]),
    );
    expect(files).toHaveLength(6);
  });

  it('parses git name-status output', () => {
    expect(parseNameStatus('M\0a.ts\0R087\0old.ts\0new.ts\0A\0b c.ts\0')).toEqual([
      { path: 'a.ts', status: 'modified' },
      { path: 'new.ts', oldPath: 'old.ts', status: 'renamed' },
      { path: 'b c.ts', status: 'added' },
    ]);
    expect(parseNameStatus('')).toEqual([]);
  });
});
