import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { git } from '../workspace/git/pr-fixture.js';

/** Path → content; null deletes the file. */
export type FileChanges = Readonly<Record<string, string | null>>;

/** The base branch `main`. */
export const BASE_FILES = {
  'README.md': '# widgets\n',
  'src/math.js': [
    '// Math helpers.',
    'export function sum(a, b) {',
    '  return a - b;',
    '}',
    '',
    'export function product(a, b) {',
    '  return a * b;',
    '}',
    '',
    'export function square(x) {',
    '  return x * x;',
    '}',
    '',
    'export function cube(x) {',
    '  return x * x * x;',
    '}',
    '',
    'export function mean(values) {',
    '  return sum(...values) / values.length;',
    '}',
    '',
  ].join('\n'),
  'src/format.js': [
    'export function formatPrice(cents) {',
    '  return `$${cents / 100}`;',
    '}',
    '',
    'export function formatCount(n) {',
    '  return `${n} items`;',
    '}',
    '',
  ].join('\n'),
  'src/legacy.js': 'export const OLD_RATE = 0.2;\n',
  'src/util.js': [
    'export function clamp(x, lo, hi) {',
    '  return Math.min(Math.max(x, lo), hi);',
    '}',
    '',
  ].join('\n'),
} as const;

/**
 * The pull request's one commit on `feature`. Its diff against `main`:
 * - src/format.js: one hunk (new lines 1-5), line 2 rewritten;
 * - src/legacy.js: deleted;
 * - src/math.js: two hunks, new lines 1-7 (line 3 became 3-4) and 17-23 (line 19 became 20-22);
 *   lines 8-16 are outside the diff;
 * - src/parse.js: a new file, lines 1-5;
 * - src/util.js and README.md: unchanged, not in the diff.
 */
export const FEATURE_CHANGES: FileChanges = {
  'src/math.js': [
    '// Math helpers.',
    'export function sum(a, b) {',
    '  const total = a + b;',
    '  return total;',
    '}',
    '',
    'export function product(a, b) {',
    '  return a * b;',
    '}',
    '',
    'export function square(x) {',
    '  return x * x;',
    '}',
    '',
    'export function cube(x) {',
    '  return x * x * x;',
    '}',
    '',
    'export function mean(values) {',
    '  let total = 0;',
    '  for (const value of values) total += value;',
    '  return total / values.length;',
    '}',
    '',
  ].join('\n'),
  'src/format.js': [
    'export function formatPrice(cents) {',
    '  return `$${(cents / 100).toFixed(2)}`;',
    '}',
    '',
    'export function formatCount(n) {',
    '  return `${n} items`;',
    '}',
    '',
  ].join('\n'),
  'src/legacy.js': null,
  'src/parse.js': [
    'export function parseAmount(text) {',
    '  const value = Number.parseInt(text, 10);',
    '  if (Number.isNaN(value)) return 0;',
    '  return value;',
    '}',
    '',
  ].join('\n'),
};

export interface MultiFilePrRepo {
  /** Pass as the App's cloneBaseUrl: the repository is at `${url}/${owner}/${repo}.git`. */
  readonly url: string;
  readonly server: GitHttpServer;
  readonly baseSha: string;
  /** The head now: changes after each push. */
  readonly headSha: string;
  readonly headRef: string;
  /**
   * A push to the pull request: a commit on `feature` with these changes, published to the
   * served repository (the branch and `refs/pull/<number>/head`, as GitHub does). Returns
   * the new head.
   */
  push(changes: FileChanges, message: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * `owner/repo` as GitHub would serve it to an App: base branch `main` with BASE_FILES, a
 * head branch `feature` with FEATURE_CHANGES (several files: a multi-line hunk, a file
 * with two hunks, a new file, a deleted file), published as `refs/pull/<number>/head`,
 * behind authenticated smart HTTP that accepts only `token`. `base` and `changes` replace
 * those two for a test that needs another project.
 */
export async function createMultiFilePrRepo(options: {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
  readonly token: string;
  readonly base?: FileChanges;
  readonly changes?: FileChanges;
}): Promise<MultiFilePrRepo> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-app-multi-')));
  const src = path.join(root, 'src');
  await git(root, 'init', '--quiet', '--initial-branch=main', src);
  const commit = async (changes: FileChanges, message: string) => {
    for (const [file, content] of Object.entries(changes)) {
      const target = path.join(src, file);
      if (content === null) {
        await rm(target);
      } else {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    }
    await git(src, 'add', '-A');
    await git(src, 'commit', '--quiet', '-m', message);
    return git(src, 'rev-parse', 'HEAD');
  };
  const baseSha = await commit(options.base ?? BASE_FILES, 'Start the project');
  await git(src, 'checkout', '--quiet', '-b', 'feature');
  let headSha = await commit(options.changes ?? FEATURE_CHANGES, 'Rework the helpers');

  const bare = path.join(root, options.owner, `${options.repo}.git`);
  await mkdir(path.dirname(bare), { recursive: true });
  await git(root, 'clone', '--quiet', '--bare', src, bare);
  await git(bare, 'config', 'uploadpack.allowFilter', 'true');
  await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  const pullRef = `refs/pull/${options.number}/head`;
  await git(bare, 'update-ref', pullRef, headSha);

  const server = await startGitHttpServer({ projectRoot: root, token: options.token });
  return {
    url: server.url,
    server,
    baseSha,
    get headSha() {
      return headSha;
    },
    headRef: 'feature',
    async push(changes, message) {
      headSha = await commit(changes, message);
      await git(src, 'push', '--quiet', bare, 'feature:feature');
      await git(bare, 'update-ref', pullRef, headSha);
      return headSha;
    },
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
