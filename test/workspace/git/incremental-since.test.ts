import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { prepareJobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import type {
  JobWorkspace,
  PrepareJobWorkspaceOptions,
} from '../../../src/workspace/git/prepare-job-workspace.js';
import { TEST_TOKEN, createPrFixture, git } from './pr-fixture.js';
import type { PrFixture } from './pr-fixture.js';

/**
 * The PR fixture, one step further: the pull request was reviewed at f1 and then got f3,
 * which changes sum.js again; before that, the author had force-pushed g1 (built on c2)
 * away. g1 is still on the server, but in no ref: like a commit GitHub keeps after a
 * force-push.
 *
 *     main:     c0 - c1 - c2 - c3
 *     feature:            c2 - f1 - f2 - f3   (refs/pull/7/head = f3)
 *     dropped:            c2 - g1
 */
interface SinceFixture {
  readonly pr: PrFixture;
  readonly shas: PrFixture['shas'] & { readonly f3: string; readonly g1: string };
}

const SUM_AT_F1 = 'export const sum = (a, b) => a + b;\n';
const SUM_AT_F3 = 'export const sum = (a, b) => b + a;\n';

async function createSinceFixture(): Promise<SinceFixture> {
  const pr = await createPrFixture();
  try {
    const src = path.join(pr.root, 'src');
    const commit = async (file: string, content: string, message: string) => {
      await writeFile(path.join(src, file), content);
      await git(src, 'add', '-A');
      await git(src, 'commit', '--quiet', '-m', message);
      return git(src, 'rev-parse', 'HEAD');
    };
    await git(src, 'checkout', '--quiet', 'feature');
    const f3 = await commit('sum.js', SUM_AT_F3, 'f3');
    await git(src, 'checkout', '--quiet', '-b', 'dropped', pr.shas.c2);
    const g1 = await commit('sum.js', 'export const sum = (a, b) => a + b + 0;\n', 'g1');
    await git(src, 'checkout', '--quiet', 'main');
    for (const repo of ['origin.git', 'nofilter.git'] as const) {
      const bare = pr.bare(repo);
      await git(src, 'push', '--quiet', bare, 'feature', 'dropped');
      await git(bare, 'update-ref', 'refs/pull/7/head', f3);
      await git(bare, 'update-ref', '-d', 'refs/heads/dropped');
    }
    return { pr, shas: { ...pr.shas, f3, g1 } };
  } catch (error) {
    await pr.close();
    throw error;
  }
}

let fixture: SinceFixture;
let parentDir: string;
const open: JobWorkspace[] = [];

beforeAll(async () => {
  fixture = await createSinceFixture();
  parentDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-since-'));
});

afterEach(async () => {
  for (const workspace of open.splice(0)) await workspace.dispose();
});

afterAll(async () => {
  await fixture.pr.close();
  await rm(parentDir, { recursive: true, force: true });
});

async function prepare(
  options: Partial<PrepareJobWorkspaceOptions> = {},
  from: SinceFixture = fixture,
): Promise<JobWorkspace> {
  const workspace = await prepareJobWorkspace({
    remoteUrl: from.pr.url('origin.git'),
    token: TEST_TOKEN,
    headSha: from.shas.f3,
    ref: 'refs/pull/7/head',
    baseRef: 'main',
    parentDir,
    ...options,
  } as PrepareJobWorkspaceOptions);
  open.push(workspace);
  return workspace;
}

describe('prepareJobWorkspace: since, an ancestor of the head', () => {
  it('is reported, and `git diff since HEAD` works with the server gone', async () => {
    // A server of its own, closed halfway through.
    const own = await createSinceFixture();
    try {
      const incremental = await prepare({ since: own.shas.f1 }, own);
      const plain = await prepare({}, own);
      expect(incremental.history).toBe('partial');
      expect(incremental.headSha).toBe(own.shas.f3);
      expect(incremental.mergeBase).toBe(own.shas.c2);
      expect(incremental.since).toBe(own.shas.f1);
      expect(plain.since).toBeUndefined();

      await own.pr.server.close();

      const diff = await git(incremental.dir, 'diff', own.shas.f1, 'HEAD', '--');
      expect(diff).toContain(`-${SUM_AT_F1.trimEnd()}`);
      expect(diff).toContain(`+${SUM_AT_F3.trimEnd()}`);
      expect(diff).toContain('+fixed sum');
      // The control: without `since`, sum.js as of f1 was never fetched (neither the merge
      // base nor the head holds it), so the same diff needs the network and fails.
      await expect(git(plain.dir, 'diff', own.shas.f1, 'HEAD', '--')).rejects.toThrow();
    } finally {
      for (const workspace of open.splice(0)) await workspace.dispose();
      await rm(own.pr.root, { recursive: true, force: true });
    }
  });

  it.each([
    ['the head itself', 'f3'],
    ['the merge base', 'c2'],
  ] as const)('is reported when it is %s', async (_label, name) => {
    const workspace = await prepare({ since: fixture.shas[name] });
    expect(workspace.since).toBe(fixture.shas[name]);
    expect(workspace.headSha).toBe(fixture.shas.f3);
  });

  it('is not reported when it is a commit below the merge base: the diff would hold the base’s commits', async () => {
    const workspace = await prepare({ since: fixture.shas.c0 });
    expect(workspace.since).toBeUndefined();
    expect(workspace.mergeBase).toBe(fixture.shas.c2);
  });

  it('is reported in a shallow workspace too, whose diff needs no fetch', async () => {
    const workspace = await prepare({
      remoteUrl: fixture.pr.url('nofilter.git'),
      depth: 1,
      since: fixture.shas.f1,
    });
    expect(workspace.history).toBe('shallow');
    expect(workspace.since).toBe(fixture.shas.f1);
    // No token here: a fetch would be refused.
    const diff = await git(workspace.dir, 'diff', fixture.shas.f1, 'HEAD', '--', 'sum.js');
    expect(diff).toContain(`+${SUM_AT_F3.trimEnd()}`);
  });
});

describe('prepareJobWorkspace: since, not an ancestor of the head', () => {
  it.each([
    ['a commit on main after the branch point', 'c3'],
    ['a commit force-pushed away (still on the server, in no ref)', 'g1'],
  ] as const)('is undefined for %s, without an error', async (_label, name) => {
    const workspace = await prepare({ since: fixture.shas[name] });
    expect(workspace.since).toBeUndefined();
    expect(workspace.headSha).toBe(fixture.shas.f3);
    expect(workspace.mergeBase).toBe(fixture.shas.c2);
    expect(await git(workspace.dir, 'rev-parse', 'HEAD')).toBe(fixture.shas.f3);
  });

  it.each(['origin.git', 'nofilter.git'] as const)(
    'is undefined for a SHA the server does not know (%s)',
    async (repo) => {
      const workspace = await prepare({
        remoteUrl: fixture.pr.url(repo),
        since: '0123456789abcdef0123456789abcdef01234567',
      });
      expect(workspace.since).toBeUndefined();
      expect(workspace.headSha).toBe(fixture.shas.f3);
    },
  );
});

describe('prepareJobWorkspace: since, invalid', () => {
  it.each([
    ['an abbreviated SHA', 'abc1234'],
    ['a ref name', 'HEAD'],
    ['an upper-case SHA', 'ABCDEF0123456789ABCDEF0123456789ABCDEF01'],
    ['an option', '--upload-pack=touch /tmp/pwned'],
    ['the empty string', ''],
  ])('refuses %s before creating anything', async (_label, since) => {
    const error: unknown = await prepare({ since }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect(String(error)).toMatch(/since must be a full commit SHA/);
    expect(await readdir(parentDir)).toEqual([]);
  });
});

describe('prepareJobWorkspace: since, when the base was merged in after it', () => {
  it('is not reported: a diff from it would show the base branch’s own changes', async () => {
    // The author merges main (c3) into the reviewed branch: m1 = merge(f3, c3).
    const src = path.join(fixture.pr.root, 'src');
    await git(src, 'checkout', '--quiet', '-b', 'merged', fixture.shas.f3);
    await git(src, 'merge', '--quiet', '--no-edit', '-m', 'merge main', 'main');
    const m1 = await git(src, 'rev-parse', 'HEAD');
    await git(src, 'checkout', '--quiet', 'main');
    const bare = fixture.pr.bare('origin.git');
    await git(src, 'push', '--quiet', bare, 'merged');
    await git(bare, 'update-ref', 'refs/pull/8/head', m1);

    const merged = await prepare({ headSha: m1, ref: 'refs/pull/8/head', since: fixture.shas.f3 });
    expect(merged.mergeBase).toBe(fixture.shas.c3);
    expect(merged.since).toBeUndefined();

    // Without the merge, the same commit is a starting point (the control).
    const plain = await prepare({ since: fixture.shas.f1 });
    expect(plain.since).toBe(fixture.shas.f1);
  });
});
