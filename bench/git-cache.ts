import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { prepareJobWorkspace } from '../src/workspace/git/prepare-job-workspace.js';
import { startGitHttpServer } from '../test/support/git-http-server.js';
import { median, round, type BenchResult } from './bench-result.js';

const run = promisify(execFile);
const TOKEN = 'ghs_benchGitCacheToken0123456789abcdef';
/** The generated repository: a long history of small changes, and large files. */
const COMMITS = 5_000;
const SOURCE_FILES = 200;
const LARGE_FILES = 8;
const LARGE_FILE_BYTES = 4 * 1024 * 1024;
/** Large files are rewritten every this many commits, so old versions fill the history. */
const LARGE_EVERY = 500;

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@patchling.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@patchling.invalid',
  LC_ALL: 'C',
};

const git = async (cwd: string, ...args: string[]) =>
  (await run('git', args, { cwd, env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

/**
 * How long a job waits for its checkout, on a generated repository (5,000 commits, 200
 * source files, eight 4 MB binary files rewritten every 500 commits: ~320 MB of history)
 * served over smart HTTP on loopback: a fresh partial clone per job (no cache), against
 * the git cache (first job fills the mirror, the second, after one new commit, fetches
 * only that commit). Loopback hides network latency and bandwidth, so the gap on a real
 * network is wider than measured here.
 */
export async function benchGitCache(): Promise<BenchResult[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-git-'));
  try {
    const bare = path.join(root, 'repo.git');
    await generateRepository(bare);
    await git(bare, 'config', 'uploadpack.allowFilter', 'true');
    await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    const server = await startGitHttpServer({ projectRoot: root, token: TOKEN });
    try {
      const remoteUrl = `${server.url}/repo.git`;
      const jobs = path.join(root, 'jobs');
      const cache = { root: path.join(root, 'cache') };
      const job = async (withCache: boolean) => {
        const headSha = await git(bare, 'rev-parse', 'refs/heads/feature');
        const start = performance.now();
        const workspace = await prepareJobWorkspace({
          remoteUrl,
          token: TOKEN,
          headSha,
          baseRef: 'main',
          parentDir: jobs,
          ...(withCache ? { cache } : {}),
        });
        const ms = performance.now() - start;
        await workspace.dispose();
        return ms;
      };
      const noCacheFirst = await job(false);
      const cacheFirst = await job(true);
      // The machine may be busy: three rounds of one new commit each, medians reported.
      const noCacheRuns: number[] = [];
      const cacheRuns: number[] = [];
      for (let round = 0; round < 3; round++) {
        await addCommit(root, bare, round);
        noCacheRuns.push(await job(false));
        cacheRuns.push(await job(true));
      }
      const noCacheSecond = median(noCacheRuns);
      const cacheSecond = median(cacheRuns);
      const size = await git(bare, 'count-objects', '-vH');
      return [
        { name: 'job checkout, no cache: first job', value: round(noCacheFirst / 1000), unit: 's' },
        {
          name: 'job checkout, no cache: next job (one new commit, median of 3)',
          value: round(noCacheSecond / 1000),
          unit: 's',
        },
        {
          name: 'job checkout, git cache: first job (fills the mirror)',
          value: round(cacheFirst / 1000),
          unit: 's',
        },
        {
          name: 'job checkout, git cache: next job (one new commit, median of 3)',
          value: round(cacheSecond / 1000),
          unit: 's',
          note: `${round(cacheSecond / noCacheSecond)}x no cache; repository ${COMMITS} commits, ${/size-pack: (.*)/.exec(size)?.[1] ?? '?'} packed`,
        },
      ];
    } finally {
      await server.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Writes the history with one `git fast-import` stream: thousands of commits in seconds. */
async function generateRepository(bare: string): Promise<void> {
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare], { env: GIT_ENV });
  const child = spawn('git', ['fast-import', '--quiet'], {
    cwd: bare,
    env: GIT_ENV,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)),
    );
  });
  const write = (chunk: string | Buffer) =>
    new Promise<void>((resolve) => {
      if (child.stdin.write(chunk)) resolve();
      else child.stdin.once('drain', resolve);
    });
  // Random bytes: incompressible, as media and build artefacts are.
  const random = (bytes: number) => randomBytes(bytes);
  const blob = async (path: string, data: Buffer | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    await write(`M 100644 inline ${path}\ndata ${bytes.length}\n`);
    await write(bytes);
    await write('\n');
  };
  for (let n = 1; n <= COMMITS; n++) {
    const message = `commit ${n}`;
    await write(
      `commit refs/heads/main\ncommitter Bench <bench@patchling.invalid> ${1_700_000_000 + n} +0000\ndata ${message.length}\n${message}\n`,
    );
    if (n === 1) {
      for (let f = 0; f < SOURCE_FILES; f++) {
        await blob(`src/file${f}.js`, `// file ${f}\n`.repeat(200));
      }
    }
    await blob(
      `src/file${n % SOURCE_FILES}.js`,
      `// file ${n % SOURCE_FILES}, version ${n}\n`.repeat(200),
    );
    if (n % LARGE_EVERY === 1) {
      for (let f = 0; f < LARGE_FILES; f++)
        await blob(`assets/large${f}.bin`, random(LARGE_FILE_BYTES));
    }
  }
  const feature = 'feature';
  await write(
    `commit refs/heads/${feature}\ncommitter Bench <bench@patchling.invalid> ${1_800_000_000} +0000\ndata ${feature.length}\n${feature}\nfrom refs/heads/main\n`,
  );
  await blob('src/feature.js', 'export const feature = 1;\n');
  await write('done\n');
  child.stdin.end();
  await done;
  await git(bare, 'repack', '-a', '-d', '--quiet');
}

/** One new commit on the feature branch, as a push would bring. */
async function addCommit(root: string, bare: string, index: number): Promise<void> {
  const work = path.join(root, `work-${index}`);
  await run('git', ['clone', '--quiet', '--filter=blob:none', '--branch', 'feature', bare, work], {
    env: GIT_ENV,
  });
  await run('sh', ['-c', 'echo "export const later = 2;" >> src/feature.js'], { cwd: work });
  await git(work, 'commit', '--quiet', '-am', 'later');
  await git(work, 'push', '--quiet', 'origin', 'feature');
}
