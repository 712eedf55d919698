import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pushedBranches } from '../../../src/jobs/fix/pushed-branches.js';
import { commitChanges } from '../../../src/workspace/git/commit-changes.js';
import { prepareJobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import type { JobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import { pushBranch } from '../../../src/workspace/git/push-branch.js';
import { TEST_TOKEN, createPrFixture, git } from './pr-fixture.js';
import type { PrFixture } from './pr-fixture.js';

const BOT = { name: 'patchling[bot]', email: '123+patchling[bot]@users.noreply.github.com' };
const BRANCH = 'patchling/issue-9';

let fixture: PrFixture;
let scratch: string;
let workspace: JobWorkspace;

beforeAll(async () => {
  fixture = await createPrFixture();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'patchling-lease-'));
});

beforeEach(async () => {
  workspace = await prepareJobWorkspace({
    remoteUrl: fixture.url('origin.git'),
    token: TEST_TOKEN,
    ref: 'refs/heads/main',
    parentDir: path.join(scratch, 'jobs'),
  });
  return () => workspace.dispose();
});

afterAll(async () => {
  await fixture.close();
  await rm(scratch, { recursive: true, force: true });
});

async function commit(name: string): Promise<string> {
  await writeFile(path.join(workspace.dir, name), `${name}\n`);
  return commitChanges({ dir: workspace.dir, message: name, author: BOT });
}

const push = (lease: string | null) =>
  pushBranch({
    dir: workspace.dir,
    remoteUrl: fixture.url('origin.git'),
    token: TEST_TOKEN,
    branch: BRANCH,
    lease,
  });

const remoteTip = () => git(fixture.bare('origin.git'), 'rev-parse', `refs/heads/${BRANCH}`);

describe('pushBranch with a lease', () => {
  it('creates the branch only while it does not exist, then rewrites it only from the leased commit', async () => {
    await git(fixture.bare('origin.git'), 'update-ref', '-d', `refs/heads/${BRANCH}`).catch(
      () => '',
    );
    const first = await commit('first.txt');
    expect(await push(null)).toBe(first);
    expect(await remoteTip()).toBe(first);

    // A new attempt from main: not a fast-forward, but the branch is where Patchling left it.
    await git(workspace.dir, 'reset', '--hard', '--quiet', 'HEAD^');
    const second = await commit('second.txt');
    await expect(push(null)).rejects.toThrow(/stale info|rejected/);
    expect(await push(first)).toBe(second);
    expect(await remoteTip()).toBe(second);

    // Someone adds a commit on top: a lease on what Patchling pushed no longer holds.
    await git(fixture.bare('origin.git'), 'update-ref', `refs/heads/${BRANCH}`, fixture.shas.c3);
    await git(workspace.dir, 'reset', '--hard', '--quiet', 'HEAD^');
    await commit('third.txt');
    await expect(push(second)).rejects.toThrow(/stale info|rejected/);
    expect(await remoteTip()).toBe(fixture.shas.c3);
  });

  it('refuses a lease that is not a full commit id', async () => {
    await commit('x.txt');
    await expect(push('HEAD')).rejects.toThrow('lease must be a full commit SHA');
  });
});

describe('pushedBranches', () => {
  it('remembers the last push per repository and branch, and knows nothing else', async () => {
    const records = pushedBranches(path.join(scratch, 'state'));
    const key = { owner: 'Octo-Org', repo: 'Widgets', branch: BRANCH };
    expect(await records.lastPushed(key)).toBeUndefined();
    await records.record(key, 'a'.repeat(40));
    await records.record(key, 'b'.repeat(40));
    expect(await records.lastPushed({ ...key, owner: 'octo-org', repo: 'widgets' })).toBe(
      'b'.repeat(40),
    );
    expect(await records.lastPushed({ ...key, branch: 'patchling/issue-10' })).toBeUndefined();
  });
});
