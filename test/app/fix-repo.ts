import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { git } from '../workspace/git/pr-fixture.js';

/** The bug every fix test is about: `sum` subtracts. `npm test` (node test.js) says so. */
export const BUGGY_SUM = 'exports.sum = (a, b) => a - b;\n';
export const FIXED_SUM = 'exports.sum = (a, b) => a + b;\n';
export const TEST_JS = [
  "const { sum } = require('./sum.js');",
  'const got = sum(2, 3);',
  'if (got !== 5) {',
  '  console.error(`sum(2, 3) should be 5, got ${got}`);',
  '  process.exit(1);',
  '}',
  "console.log('sum(2, 3) is 5: ok');",
  '',
].join('\n');
export const PACKAGE_JSON = `${JSON.stringify(
  { name: 'widgets', version: '1.0.0', private: true, scripts: { test: 'node test.js' } },
  null,
  2,
)}\n`;
export const CI_WORKFLOW = [
  'name: ci',
  'on: [push, pull_request]',
  'jobs:',
  '  test:',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - run: npm test',
  '',
].join('\n');

/** A commit as the bare repository stores it. */
export interface StoredCommit {
  readonly sha: string;
  readonly parents: readonly string[];
  readonly authorName: string;
  readonly authorEmail: string;
  readonly committerName: string;
  readonly committerEmail: string;
  /** The raw message, trailers included. */
  readonly message: string;
  /** `git diff --name-status` against the first parent, e.g. `M\tsum.js`. */
  readonly changes: readonly string[];
}

export interface FixRepo {
  /** Pass as the App's cloneBaseUrl: a repository is at `${url}/${owner}/${repo}.git`. */
  readonly url: string;
  readonly server: GitHttpServer;
  /** The tip of `main`, the default branch, before any job ran. */
  readonly mainSha: string;
  /** With `pullRequest`: the PR's head commit (the fork's `feature`, and `refs/pull/N/head`). */
  readonly headSha: string | undefined;
  /** The bare repository behind `owner/repo`, to change what the server holds. */
  bare(owner: string, repo: string): string;
  /** Every ref of a served repository, name → SHA. */
  refs(owner: string, repo: string): Promise<Record<string, string>>;
  commit(owner: string, repo: string, rev: string): Promise<StoredCommit>;
  /** A file's content at a revision, trimmed. */
  show(owner: string, repo: string, rev: string, file: string): Promise<string>;
  /** Paths of the git http requests that touched `owner/repo` with the given service. */
  requestsFor(owner: string, repo: string, service: 'upload-pack' | 'receive-pack'): string[];
  close(): Promise<void>;
}

/**
 * `owner/repo` as GitHub serves it to an App, behind authenticated smart HTTP that takes
 * only `token`, with pushes allowed: `main` holds a small package whose `npm test` fails
 * because `sum` subtracts, plus a CI workflow. With `pullRequest`, a fork
 * `forkOwner/repo` (pushes allowed too, so a push that should not happen would land)
 * whose `feature` branch adds a commit on `main`, published in the base repository as
 * `refs/pull/N/head` only, as GitHub does for a fork's pull request.
 */
export async function createFixRepo(options: {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  readonly pullRequest?: { readonly number: number; readonly forkOwner: string };
  /** What the second commit of `main` adds instead of sum.js and test.js (may replace package.json). */
  readonly files?: Readonly<Record<string, string>>;
}): Promise<FixRepo> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-fix-repo-')));
  const src = path.join(root, 'src');
  await git(root, 'init', '--quiet', '--initial-branch=main', src);
  const write = async (file: string, content: string) => {
    await mkdir(path.dirname(path.join(src, file)), { recursive: true });
    await writeFile(path.join(src, file), content);
  };
  const commit = async (message: string) => {
    await git(src, 'add', '-A');
    await git(src, 'commit', '--quiet', '-m', message);
    return git(src, 'rev-parse', 'HEAD');
  };
  await write('README.md', '# widgets\n');
  await write('package.json', PACKAGE_JSON);
  await write('.github/workflows/ci.yml', CI_WORKFLOW);
  await commit('Start the project');
  for (const [file, content] of Object.entries(
    options.files ?? { 'sum.js': BUGGY_SUM, 'test.js': TEST_JS },
  )) {
    await write(file, content);
  }
  const mainSha = await commit('Add sum');

  let headSha: string | undefined;
  if (options.pullRequest) {
    await git(src, 'checkout', '--quiet', '-b', 'feature');
    await write('README.md', '# widgets\n\n`sum(a, b)` adds two numbers.\n');
    headSha = await commit('Document sum');
    await git(src, 'checkout', '--quiet', 'main');
  }

  const bareOf = (owner: string, repo: string) => path.join(root, owner, `${repo}.git`);
  const serve = async (owner: string, repo: string) => {
    const bare = bareOf(owner, repo);
    await mkdir(path.dirname(bare), { recursive: true });
    await git(root, 'clone', '--quiet', '--bare', src, bare);
    await git(bare, 'config', 'uploadpack.allowFilter', 'true');
    await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    await git(bare, 'config', 'http.receivepack', 'true');
    return bare;
  };
  const base = await serve(options.owner, options.repo);
  if (options.pullRequest && headSha !== undefined) {
    await serve(options.pullRequest.forkOwner, options.repo);
    // The base repository has the fork's commits only under the pull request's ref.
    await git(base, 'update-ref', '-d', 'refs/heads/feature');
    await git(base, 'update-ref', `refs/pull/${options.pullRequest.number}/head`, headSha);
  }

  const server = await startGitHttpServer({ projectRoot: root, token: options.token });
  return {
    url: server.url,
    server,
    mainSha,
    headSha,
    bare: bareOf,
    async refs(owner, repo) {
      const listed = await git(
        bareOf(owner, repo),
        'for-each-ref',
        '--format=%(refname) %(objectname)',
      );
      return Object.fromEntries(
        listed
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => line.split(' ') as [string, string]),
      );
    },
    async commit(owner, repo, rev) {
      const bare = bareOf(owner, repo);
      const format = ['%H', '%P', '%an', '%ae', '%cn', '%ce', '%B'].join('%x00');
      const shown = await git(bare, 'show', '--no-patch', `--format=${format}`, rev);
      const [sha = '', parents = '', an = '', ae = '', cn = '', ce = '', message = ''] =
        shown.split('\0');
      const changes = await git(bare, 'diff', '--name-status', `${sha}^`, sha);
      return {
        sha,
        parents: parents.split(' ').filter((parent) => parent !== ''),
        authorName: an,
        authorEmail: ae,
        committerName: cn,
        committerEmail: ce,
        message,
        changes: changes.split('\n').filter((line) => line !== ''),
      };
    },
    show: (owner, repo, rev, file) => git(bareOf(owner, repo), 'show', `${rev}:${file}`),
    requestsFor(owner, repo, service) {
      const prefix = `/${owner}/${repo}.git/`;
      return server.requests
        .filter((request) => request.url.startsWith(prefix) && request.service === service)
        .map((request) => `${request.method} ${request.url} ${request.status}`);
    },
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
