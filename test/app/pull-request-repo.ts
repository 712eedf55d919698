import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { git } from '../workspace/git/pr-fixture.js';

export interface PullRequestRepo {
  /** Pass as the App's cloneBaseUrl: the repository is at `${url}/${owner}/${repo}.git`. */
  readonly url: string;
  readonly server: GitHttpServer;
  readonly baseSha: string;
  readonly headSha: string;
  readonly headRef: string;
  /** A push to the head branch: commits `content` to `file`, moves refs/pull/<n>/head; the new sha. */
  push(file: string, content: string, message: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * `owner/repo` as GitHub would serve it to an App: base branch `main`, a head branch
 * `feature` with one fix, published as `refs/pull/<number>/head`, behind authenticated
 * smart HTTP that accepts only `token`.
 */
export async function createPullRequestRepo(options: {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
  readonly token: string;
}): Promise<PullRequestRepo> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-app-repo-')));
  const src = path.join(root, 'src');
  await git(root, 'init', '--quiet', '--initial-branch=main', src);
  const commit = async (file: string, content: string, message: string) => {
    await writeFile(path.join(src, file), content);
    await git(src, 'add', '-A');
    await git(src, 'commit', '--quiet', '-m', message);
    return git(src, 'rev-parse', 'HEAD');
  };
  await commit('README.md', '# widgets\n', 'Start the project');
  const baseSha = await commit('sum.js', 'export const sum = (a, b) => a - b;\n', 'Add sum');
  await git(src, 'checkout', '--quiet', '-b', 'feature');
  const headSha = await commit('sum.js', 'export const sum = (a, b) => a + b;\n', 'Fix sum');

  const bare = path.join(root, options.owner, `${options.repo}.git`);
  await mkdir(path.dirname(bare), { recursive: true });
  await git(root, 'clone', '--quiet', '--bare', src, bare);
  await git(bare, 'config', 'uploadpack.allowFilter', 'true');
  await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  await git(bare, 'update-ref', `refs/pull/${options.number}/head`, headSha);

  const server = await startGitHttpServer({ projectRoot: root, token: options.token });
  return {
    url: server.url,
    server,
    baseSha,
    headSha,
    headRef: 'feature',
    push: async (file, content, message) => {
      const sha = await commit(file, content, message);
      await git(src, 'push', '--quiet', bare, 'feature');
      await git(bare, 'update-ref', `refs/pull/${options.number}/head`, sha);
      return sha;
    },
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
