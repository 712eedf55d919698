import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { SecretRedactor } from '../../../src/util/redact-secrets.js';
import { commitChanges } from '../../../src/workspace/git/commit-changes.js';
import { diffAgainst } from '../../../src/workspace/git/diff-against.js';
import { prepareJobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import type { JobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import { pushBranch } from '../../../src/workspace/git/push-branch.js';
import { basicAuthHeader } from '../../support/git-http-server.js';
import { TEST_TOKEN, createPrFixture, git } from './pr-fixture.js';
import type { PrFixture } from './pr-fixture.js';
import { filesContaining } from './workspace-files.js';

const BOT = { name: 'patchling[bot]', email: '123+patchling[bot]@users.noreply.github.com' };
const REQUESTER = { name: 'Octo Cat', email: '583231+octocat@users.noreply.github.com' };
const HOOKS = [
  'pre-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-push',
  'post-checkout',
  'reference-transaction',
];

let fixture: PrFixture;
let scratch: string;
let workspace: JobWorkspace;

beforeAll(async () => {
  fixture = await createPrFixture();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'patchling-commit-'));
});

beforeEach(async () => {
  workspace = await prepareJobWorkspace({
    remoteUrl: fixture.url('origin.git'),
    token: TEST_TOKEN,
    ref: 'refs/pull/7/head',
    baseRef: 'main',
    parentDir: path.join(scratch, 'jobs'),
  });
  return () => workspace.dispose();
});

afterAll(async () => {
  await fixture.close();
  await rm(scratch, { recursive: true, force: true });
});

async function writeScript(file: string, body: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
}

describe('commitChanges', () => {
  it('commits the whole working tree as the bot, crediting the requester', async () => {
    await writeFile(path.join(workspace.dir, 'sum.js'), 'export const sum = (a, b) => b + a;\n');
    await writeFile(path.join(workspace.dir, 'sum.test.js'), 'test\n');
    const sha = await commitChanges({
      dir: workspace.dir,
      message: 'Fix sum\n\nSwap the operands.',
      author: BOT,
      coAuthors: [REQUESTER, REQUESTER, BOT],
    });
    expect(await git(workspace.dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(await git(workspace.dir, 'rev-parse', 'HEAD^')).toBe(fixture.shas.f2);
    expect(await git(workspace.dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      `${BOT.name} <${BOT.email}>|${BOT.name} <${BOT.email}>`,
    );
    expect(await git(workspace.dir, 'log', '-1', '--format=%B')).toBe(
      `Fix sum\n\nSwap the operands.\n\nCo-authored-by: ${REQUESTER.name} <${REQUESTER.email}>`,
    );
    expect(await git(workspace.dir, 'show', '--name-only', '--format=', 'HEAD')).toBe(
      'sum.js\nsum.test.js',
    );
    expect(await git(workspace.dir, 'status', '--porcelain')).toBe('');
  });

  it('redacts known secrets from the message', async () => {
    await writeFile(path.join(workspace.dir, 'new.txt'), 'x\n');
    await commitChanges({
      dir: workspace.dir,
      message: `Leak ${TEST_TOKEN}`,
      author: BOT,
      redactor: new SecretRedactor([TEST_TOKEN]),
    });
    expect(await git(workspace.dir, 'log', '-1', '--format=%s')).toBe('Leak [REDACTED]');
  });

  it('refuses to make an empty commit', async () => {
    await expect(
      commitChanges({ dir: workspace.dir, message: 'Nothing', author: BOT }),
    ).rejects.toThrow(UserError);
  });
});

describe('git hooks and repository config', () => {
  it('never runs a hook or fsmonitor, even with core.hooksPath set in .git/config', async () => {
    const markers = path.join(scratch, 'markers');
    await rm(markers, { recursive: true, force: true });
    await mkdir(markers, { recursive: true });
    const hooksDir = path.join(scratch, 'evil-hooks');
    for (const hook of HOOKS) {
      const body = `echo ran > "${markers}/${hook}"`;
      await writeScript(path.join(workspace.dir, '.git', 'hooks', hook), body);
      await writeScript(path.join(hooksDir, hook), body);
    }
    await writeScript(path.join(scratch, 'fsmonitor'), `echo ran > "${markers}/fsmonitor"`);
    await git(workspace.dir, 'config', 'core.hooksPath', hooksDir);
    await git(workspace.dir, 'config', 'core.fsmonitor', path.join(scratch, 'fsmonitor'));

    // Control: plain git does run them, so the markers prove something.
    await git(workspace.dir, 'hook', 'run', 'pre-commit');
    await git(workspace.dir, 'status', '--porcelain');
    expect((await readdir(markers)).sort()).toEqual(['fsmonitor', 'pre-commit']);
    await rm(markers, { recursive: true, force: true });
    await mkdir(markers);

    await writeFile(
      path.join(workspace.dir, 'sum.js'),
      'export const sum = (a, b) => a + b; // ok\n',
    );
    await diffAgainst({ dir: workspace.dir, base: 'HEAD' });
    await commitChanges({
      dir: workspace.dir,
      message: 'Change',
      author: BOT,
      coAuthors: [REQUESTER],
    });
    await pushBranch({
      dir: workspace.dir,
      remoteUrl: fixture.url('origin.git'),
      token: TEST_TOKEN,
      branch: 'patchling/hooks',
    });
    expect(await readdir(markers)).toEqual([]);
  });
});

describe('pushBranch', () => {
  it('pushes HEAD to a new branch over authenticated HTTP, leaving no token behind', async () => {
    await writeFile(path.join(workspace.dir, 'notes.md'), 'fixed sum, tested\n');
    const sha = await commitChanges({ dir: workspace.dir, message: 'Notes', author: BOT });
    const before = fixture.server.requests.length;
    const pushed = await pushBranch({
      dir: workspace.dir,
      remoteUrl: fixture.url('origin.git'),
      token: TEST_TOKEN,
      branch: 'patchling/fix-7',
    });
    expect(pushed).toBe(sha);
    expect(await git(fixture.bare('origin.git'), 'rev-parse', 'refs/heads/patchling/fix-7')).toBe(
      sha,
    );
    expect(await git(fixture.bare('origin.git'), 'log', '-1', '--format=%an', sha)).toBe(BOT.name);
    const pushes = fixture.server.requests
      .slice(before)
      .filter((r) => r.service === 'receive-pack');
    expect(pushes.length).toBeGreaterThan(0);
    for (const request of pushes) expect(request.authorization).toBe(basicAuthHeader(TEST_TOKEN));
    expect(await filesContaining(workspace.dir, [TEST_TOKEN])).toEqual([]);
    expect(await git(workspace.dir, 'remote', 'get-url', 'origin')).toBe(fixture.url('origin.git'));
  });

  it('fails with a UserError, token redacted, when the token is wrong', async () => {
    await writeFile(path.join(workspace.dir, 'x.txt'), 'x\n');
    await commitChanges({ dir: workspace.dir, message: 'X', author: BOT });
    const wrong = 'ghs_wrongTokenWrongToken0123456789';
    const error: unknown = await pushBranch({
      dir: workspace.dir,
      remoteUrl: fixture.url('origin.git'),
      token: wrong,
      branch: 'patchling/denied',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect(String(error)).toMatch(/refused the credentials/);
    expect(`${String(error)} ${String((error as Error).cause)}`).not.toContain(wrong);
    await expect(
      git(fixture.bare('origin.git'), 'rev-parse', '--verify', 'refs/heads/patchling/denied'),
    ).rejects.toThrow();
  });

  it('does not overwrite a branch that moved, unless forced', async () => {
    await git(fixture.bare('origin.git'), 'update-ref', 'refs/heads/scratch', fixture.shas.c3);
    await writeFile(path.join(workspace.dir, 'y.txt'), 'y\n');
    const sha = await commitChanges({ dir: workspace.dir, message: 'Y', author: BOT });
    const push = (force: boolean) =>
      pushBranch({
        dir: workspace.dir,
        remoteUrl: fixture.url('origin.git'),
        token: TEST_TOKEN,
        branch: 'refs/heads/scratch',
        force,
      });
    await expect(push(false)).rejects.toThrow(/rejected/);
    expect(await git(fixture.bare('origin.git'), 'rev-parse', 'refs/heads/scratch')).toBe(
      fixture.shas.c3,
    );
    await expect(push(true)).resolves.toBe(sha);
    expect(await git(fixture.bare('origin.git'), 'rev-parse', 'refs/heads/scratch')).toBe(sha);
  });

  it.each([['--force'], ['main:evil'], ['refs/tags/v1'], ['a..b']])(
    'refuses the branch name %j',
    async (branch) => {
      await expect(
        pushBranch({
          dir: workspace.dir,
          remoteUrl: fixture.url('origin.git'),
          token: TEST_TOKEN,
          branch,
        }),
      ).rejects.toBeInstanceOf(UserError);
    },
  );
});
