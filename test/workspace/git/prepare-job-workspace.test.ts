import { access, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SystemError, UserError } from '../../../src/errors.js';
import { prepareJobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import type { JobWorkspace } from '../../../src/workspace/git/prepare-job-workspace.js';
import { basicAuthHeader } from '../../support/git-http-server.js';
import { TEST_TOKEN, createPrFixture, git } from './pr-fixture.js';
import type { PrFixture } from './pr-fixture.js';
import { filesContaining } from './workspace-files.js';

const TOKEN_SPELLINGS = [
  TEST_TOKEN,
  Buffer.from(`x-access-token:${TEST_TOKEN}`).toString('base64'),
  Buffer.from(TEST_TOKEN).toString('base64'),
];

let fixture: PrFixture;
let parentDir: string;
const open: JobWorkspace[] = [];

beforeAll(async () => {
  fixture = await createPrFixture();
  parentDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-jobs-'));
});

afterEach(async () => {
  for (const workspace of open.splice(0)) await workspace.dispose();
});

afterAll(async () => {
  await fixture.close();
  await rm(parentDir, { recursive: true, force: true });
});

async function prepare(
  options: Partial<Parameters<typeof prepareJobWorkspace>[0]> = {},
): Promise<JobWorkspace> {
  const workspace = await prepareJobWorkspace({
    remoteUrl: fixture.url('origin.git'),
    token: TEST_TOKEN,
    headSha: fixture.shas.f2,
    ref: 'refs/pull/7/head',
    baseRef: 'main',
    parentDir,
    ...options,
  } as Parameters<typeof prepareJobWorkspace>[0]);
  open.push(workspace);
  return workspace;
}

async function expectNoWorkspaceLeft(): Promise<void> {
  expect(await readdir(parentDir)).toEqual([]);
}

describe('prepareJobWorkspace: what is fetched', () => {
  it('checks out the pull request head, detached, with the merge base against main', async () => {
    const workspace = await prepare();
    expect(workspace.headSha).toBe(fixture.shas.f2);
    expect(workspace.mergeBase).toBe(fixture.shas.c2);
    expect(workspace.history).toBe('partial');
    expect(await git(workspace.dir, 'rev-parse', 'HEAD')).toBe(fixture.shas.f2);
    expect(await git(workspace.dir, 'symbolic-ref', '-q', 'HEAD').catch(() => 'detached')).toBe(
      'detached',
    );
    expect(await readFile(path.join(workspace.dir, 'sum.js'), 'utf8')).toContain('a + b');
    expect(await git(workspace.dir, 'rev-parse', 'origin/main')).toBe(fixture.shas.c3);
    expect(await git(workspace.dir, 'status', '--porcelain')).toBe('');
  });

  it('fetches no blobs but those of the head and of the files it changed since the merge base', async () => {
    const workspace = await prepare();
    expect(await git(workspace.dir, 'config', 'remote.origin.partialclonefilter')).toBe(
      'blob:none',
    );
    expect(await git(workspace.dir, 'rev-parse', '--is-shallow-repository')).toBe('false');
    // README.md at c3 (main only) was never needed, so it is missing locally.
    const missing = await git(
      workspace.dir,
      'rev-list',
      '--objects',
      '--missing=print',
      'origin/main',
    );
    expect(missing).toMatch(/^\?[0-9a-f]{40}$/m);
    // The base's sum.js was prefetched: the PR diff works without the token (a lazy
    // fetch would fail with 401), as it must in the sandbox.
    const offline = await git(
      workspace.dir,
      'diff',
      `${workspace.mergeBase}`,
      'HEAD',
      '--',
      'sum.js',
    );
    expect(offline).toContain('-export const sum = (a, b) => a - b;');
  });

  it('takes the head by ref alone (refs/pull/7/head), or by SHA alone', async () => {
    const byRef = await prepare({ headSha: undefined, ref: 'refs/pull/7/head' });
    expect(byRef.headSha).toBe(fixture.shas.f2);
    const bySha = await prepare({ headSha: fixture.shas.f1, ref: undefined });
    expect(bySha.headSha).toBe(fixture.shas.f1);
    expect(bySha.mergeBase).toBe(fixture.shas.c2);
  });

  it('works without a base: no merge base, no origin/main', async () => {
    const workspace = await prepare({ baseRef: undefined });
    expect(workspace.mergeBase).toBeUndefined();
    await expect(
      git(workspace.dir, 'rev-parse', '--verify', '-q', 'origin/main'),
    ).rejects.toThrow();
  });

  it('falls back to a shallow fetch, deepened to the merge base, when the server cannot filter', async () => {
    const workspace = await prepare({ remoteUrl: fixture.url('nofilter.git'), depth: 1 });
    expect(workspace.history).toBe('shallow');
    expect(workspace.headSha).toBe(fixture.shas.f2);
    expect(workspace.mergeBase).toBe(fixture.shas.c2);
    expect(await git(workspace.dir, 'rev-parse', '--is-shallow-repository')).toBe('true');
    // History well below the merge base is not needed and not fetched.
    await expect(git(workspace.dir, 'cat-file', '-e', fixture.shas.c0)).rejects.toThrow();
    await expect(git(workspace.dir, 'config', 'remote.origin.promisor')).rejects.toThrow();
  });

  it('fetches the expected SHA by id, and refuses a ref that points elsewhere', async () => {
    const older = await prepare({ headSha: fixture.shas.f1, ref: 'refs/pull/7/head' });
    expect(older.headSha).toBe(fixture.shas.f1);
    await older.dispose();
    // The server serves f1 by id, so the ref is not consulted; a bogus id falls back to it.
    const bogus = '0123456789012345678901234567890123456789';
    await expect(prepare({ headSha: bogus, ref: 'refs/pull/7/head' })).rejects.toThrow(
      /points at .* not 0123456789/,
    );
    await expectNoWorkspaceLeft();
  });
});

describe('prepareJobWorkspace: the token', () => {
  it('is sent as a Basic header on every request', async () => {
    const before = fixture.server.requests.length;
    await prepare();
    const requests = fixture.server.requests.slice(before);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.authorization).toBe(basicAuthHeader(TEST_TOKEN));
      expect(request.status).toBe(200);
    }
  });

  it('is nowhere in the workspace, .git included, and not in the remote URL', async () => {
    const workspace = await prepare();
    expect(await filesContaining(workspace.dir, TOKEN_SPELLINGS)).toEqual([]);
    expect(await git(workspace.dir, 'remote', 'get-url', 'origin')).toBe(fixture.url('origin.git'));
    const config = await readFile(path.join(workspace.dir, '.git', 'config'), 'utf8');
    expect(config).not.toMatch(/extraheader|x-access-token|Authorization/i);
  });

  it.each([
    ['a wrong token', 'ghs_wrongTokenWrongToken0123456789'],
    ['no token', undefined],
  ])(
    'with %s, fails with a clear UserError that does not hold the token',
    async (_label, token) => {
      const error: unknown = await prepare({ token }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UserError);
      const text = `${String(error)}\n${String((error as Error).cause)}\n${JSON.stringify(error)}`;
      expect(text).toMatch(/refused the credentials/);
      expect(text).toMatch(/terminal prompts disabled|Authentication failed/);
      for (const spelling of [...TOKEN_SPELLINGS, ...(token ? [token] : [])]) {
        expect(text).not.toContain(spelling);
      }
      await expectNoWorkspaceLeft();
    },
  );

  it('refuses a remote URL with credentials in it, without echoing them', async () => {
    const url = fixture
      .url('origin.git')
      .replace('http://', `http://x-access-token:${TEST_TOKEN}@`);
    const error: unknown = await prepare({ remoteUrl: url }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect(String(error)).toMatch(/holds credentials/);
    expect(String(error)).not.toContain(TEST_TOKEN);
  });

  it.each([
    ['file:///tmp/repo.git'],
    ['ssh://git@github.com/o/r.git'],
    ['ext::sh -c touch% /tmp/x'],
  ])('refuses the remote %s: http(s) only', async (remoteUrl) => {
    await expect(prepare({ remoteUrl })).rejects.toBeInstanceOf(UserError);
    await expectNoWorkspaceLeft();
  });
});

describe('prepareJobWorkspace: the directory', () => {
  it('is fresh for every job and removed by dispose, which may be called twice', async () => {
    const first = await prepare();
    const second = await prepare();
    expect(first.dir).not.toBe(second.dir);
    expect(path.dirname(first.dir)).toBe(await realpath(parentDir));
    await first.dispose();
    await first.dispose();
    await expect(access(first.dir)).rejects.toThrow();
    await second.dispose();
    await expectNoWorkspaceLeft();
  });

  it('is removed when the fetch fails', async () => {
    await expect(prepare({ ref: 'refs/pull/999/head', headSha: undefined })).rejects.toThrow(
      /not found/,
    );
    await expectNoWorkspaceLeft();
  });

  it('is removed when the job is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(prepare({ signal: controller.signal })).rejects.toBeInstanceOf(SystemError);
    await expectNoWorkspaceLeft();
  });

  it.each([
    [{ headSha: 'abc123' }, /full commit SHA/],
    [{ headSha: undefined, ref: '--upload-pack=touch /tmp/pwned' }, /not a valid git ref/],
    [{ baseRef: 'main..x' }, /not a valid git ref/],
    [{ depth: 0 }, /positive integer/],
  ] as const)('refuses bad input %j', async (options, message) => {
    await expect(prepare(options)).rejects.toThrow(message);
    await expectNoWorkspaceLeft();
  });
});
