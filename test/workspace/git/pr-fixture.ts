import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startGitHttpServer } from '../../support/git-http-server.js';
import type { GitHttpServer } from '../../support/git-http-server.js';

const run = promisify(execFile);

/** A token long enough for SecretRedactor, unique enough to grep for. */
export const TEST_TOKEN = 'ghs_patchlingTestToken0123456789abcdef';

/** Plain git for fixtures: host config ignored, fixed identity, never signing. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Fixture Author',
      GIT_AUTHOR_EMAIL: 'author@fixture.invalid',
      GIT_COMMITTER_NAME: 'Fixture Author',
      GIT_COMMITTER_EMAIL: 'author@fixture.invalid',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
    },
  });
  return stdout.trim();
}

export interface PrFixture {
  /** Holds the bare repositories and the source checkout. */
  readonly root: string;
  readonly server: GitHttpServer;
  /** `origin.git` allows filters; `nofilter.git` is the same repository without them. */
  url(repo: 'origin.git' | 'nofilter.git'): string;
  bare(repo: 'origin.git' | 'nofilter.git'): string;
  /** main: c0 - c1 - c2 - c3; feature (also refs/pull/7/head): c2 - f1 - f2. */
  readonly shas: { c0: string; c1: string; c2: string; c3: string; f1: string; f2: string };
  close(): Promise<void>;
}

/**
 * A pull request on a real server: base branch `main`, head branch `feature` forked from
 * its second commit, the head also published as `refs/pull/7/head` (as GitHub does),
 * served over authenticated smart HTTP.
 */
export async function createPrFixture(): Promise<PrFixture> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-pr-')));
  const src = path.join(root, 'src');
  await git(root, 'init', '--quiet', '--initial-branch=main', src);
  const commit = async (file: string, content: string, message: string) => {
    await writeFile(path.join(src, file), content);
    await git(src, 'add', '-A');
    await git(src, 'commit', '--quiet', '-m', message);
    return git(src, 'rev-parse', 'HEAD');
  };
  const c0 = await commit('LICENSE', 'MIT\n', 'c0');
  const c1 = await commit('README.md', 'hello\n', 'c1');
  const c2 = await commit('sum.js', 'export const sum = (a, b) => a - b;\n', 'c2');
  await git(src, 'checkout', '--quiet', '-b', 'feature');
  const f1 = await commit('sum.js', 'export const sum = (a, b) => a + b;\n', 'f1');
  const f2 = await commit('notes.md', 'fixed sum\n', 'f2');
  await git(src, 'checkout', '--quiet', 'main');
  const c3 = await commit('README.md', 'hello, world\n', 'c3');

  for (const [repo, allowFilter] of [
    ['origin.git', 'true'],
    ['nofilter.git', 'false'],
  ] as const) {
    const bare = path.join(root, repo);
    await git(root, 'clone', '--quiet', '--bare', src, bare);
    await git(bare, 'config', 'uploadpack.allowFilter', allowFilter);
    await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    await git(bare, 'config', 'http.receivepack', 'true');
    await git(bare, 'update-ref', 'refs/pull/7/head', f2);
  }

  const server = await startGitHttpServer({ projectRoot: root, token: TEST_TOKEN });
  return {
    root,
    server,
    url: (repo) => `${server.url}/${repo}`,
    bare: (repo) => path.join(root, repo),
    shas: { c0, c1, c2, c3, f1, f2 },
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
