import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { SystemError } from '../../errors.js';
import { withDirectoryLock } from './directory-lock.js';
import { baseTrackingRef, HEAD_REF, type FetchedHistory } from './fetch-job-history.js';
import { findMergeBase } from './find-merge-base.js';
import { runGit, type GitContext } from './run-git.js';

/** Where each repository's mirror lives, and how much they may take together. */
export interface GitCacheOptions {
  /** e.g. `<stateDir>/git-cache`. */
  readonly root: string;
  /** Mirrors beyond this total are evicted, least recently used first. Default 5 GiB. */
  readonly maxBytes?: number | undefined;
  /** How long a job waits for another job's fetch of the same repository. Default 10 min. */
  readonly lockTimeoutMs?: number | undefined;
}

export const DEFAULT_GIT_CACHE_MAX_BYTES = 5 * 1024 ** 3;

/** git's empty tree: a diff from it lists (and so fetches) every blob of a commit. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const LAST_USED = 'patchling-last-used';
const FILTER_IGNORED = /filtering not recognized by server/;

export interface CachePlan {
  readonly headSha?: string | undefined;
  readonly headRef?: string | undefined;
  readonly baseBranch?: string | undefined;
  readonly since?: string | undefined;
}

/** The mirror's directory for a remote: readable, and unique per URL. */
export function mirrorDirFor(root: string, remote: URL): string {
  const readable = `${remote.host}${remote.pathname}`
    .replace(/\.git$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 80);
  const hash = createHash('sha256').update(remote.href).digest('hex').slice(0, 12);
  return path.join(root, `${readable}-${hash}.git`);
}

/**
 * Fills the job's fresh repository (`workspace.dir`, after `git init` with `origin` set)
 * from the repository's mirror in the cache: the mirror is fetched incrementally under a
 * lock (one bare, blobless partial clone per repository, with the whole history of the
 * branches jobs asked for), the blobs the job needs are fetched into it once, and its
 * objects are hard-linked (copied across filesystems) into the job's own object store,
 * with the refs the job uses. The job owns its copy: git never changes an object file,
 * so nothing the job does reaches the mirror, and evicting a mirror never breaks a job.
 */
export async function fillFromCache(
  workspace: GitContext,
  cache: GitCacheOptions,
  plan: CachePlan,
): Promise<FetchedHistory> {
  const remote = workspace.auth?.remote;
  if (remote === undefined) throw new Error('fillFromCache needs the remote');
  const mirror = mirrorDirFor(cache.root, remote);
  const locked = await withDirectoryLock(
    `${mirror}.lock`,
    async () => {
      const mirrorContext: GitContext = { ...workspace, dir: mirror };
      const fetched = await updateMirror(mirrorContext, plan);
      await linkObjects(path.join(mirror, 'objects'), path.join(workspace.dir, '.git', 'objects'));
      await runGit(workspace, 'Preparing the workspace from the cache', async (git) => {
        await git.raw(['update-ref', HEAD_REF, fetched.headSha]);
        if (plan.baseBranch) {
          const base = await runGit(mirrorContext, 'Reading the cache', (mirrorGit) =>
            mirrorGit.raw([
              'rev-parse',
              '--verify',
              `${baseTrackingRef(plan.baseBranch!)}^{commit}`,
            ]),
          );
          await git.raw(['update-ref', baseTrackingRef(plan.baseBranch), base.trim()]);
        }
        if (fetched.mode === 'partial') {
          // Blobs the mirror lacks are fetched on demand from origin, as in a fresh clone.
          await git.raw(['config', 'core.repositoryformatversion', '1']);
          await git.raw(['config', 'extensions.partialclone', 'origin']);
          await git.raw(['config', 'remote.origin.promisor', 'true']);
          await git.raw(['config', 'remote.origin.partialclonefilter', 'blob:none']);
        }
      });
      const now = new Date();
      await writeFile(path.join(mirror, LAST_USED), '');
      await utimes(path.join(mirror, LAST_USED), now, now);
      return fetched;
    },
    { timeoutMs: cache.lockTimeoutMs, signal: workspace.signal },
  );
  if (locked === undefined) throw new SystemError(`The git cache ${mirror} is locked.`);
  await evictGitCache(cache.root, cache.maxBytes ?? DEFAULT_GIT_CACHE_MAX_BYTES, mirror);
  return locked.value;
}

async function updateMirror(mirror: GitContext, plan: CachePlan): Promise<FetchedHistory> {
  await mkdir(mirror.dir, { recursive: true });
  const remote = mirror.auth?.remote as URL;
  const created = await runGit(mirror, 'Creating the git cache', async (git) => {
    const exists = await git
      .raw(['rev-parse', '--is-bare-repository'])
      .then((out) => out.trim() === 'true')
      .catch(() => false);
    if (!exists) {
      await git.raw(['init', '--quiet', '--bare']);
      await git.raw(['remote', 'add', 'origin', remote.href]);
    }
    return !exists;
  });
  const base = plan.baseBranch;
  const sources = [plan.headSha, plan.headRef].filter((source) => source !== undefined);
  let stderr = '';
  for (const [index, source] of sources.entries()) {
    stderr = '';
    try {
      await runGit(
        mirror,
        created ? 'Fetching the repository into the cache' : 'Updating the git cache',
        (git) =>
          git.raw([
            'fetch',
            '--progress',
            '--no-tags',
            '--no-recurse-submodules',
            // Without depth: the mirror keeps the whole history of what jobs asked for,
            // so the next fetch sends only what is new.
            '--filter=blob:none',
            '--',
            'origin',
            `+${source}:${HEAD_REF}`,
            ...(base ? [`+refs/heads/${base}:${baseTrackingRef(base)}`] : []),
          ]),
        { onStderr: (text) => (stderr += text) },
      );
      break;
    } catch (error) {
      if (index === sources.length - 1) throw error;
    }
  }
  return runGit(mirror, 'Fetching the files into the cache', async (git) => {
    const headSha = (await git.raw(['rev-parse', '--verify', `${HEAD_REF}^{commit}`])).trim();
    if (plan.headSha && plan.headSha !== headSha) {
      throw new SystemError(
        `${plan.headRef ?? 'The head'} points at ${headSha}, not ${plan.headSha}: it moved after the job started.`,
      );
    }
    const promisor = (
      await git.raw(['config', '--get', 'remote.origin.promisor']).catch(() => '')
    ).trim();
    const partial = promisor === 'true' && !FILTER_IGNORED.test(stderr);
    const mergeBase = base ? await findMergeBase(git, HEAD_REF, baseTrackingRef(base)) : undefined;
    if (partial) {
      // Each diff fetches, in one batch, the blobs it needs that the mirror lacks: the
      // head's files (for the checkout), and the base and last-reviewed versions of the
      // changed ones (for the job's diffs). Only new blobs cross the network.
      await prefetch(git, EMPTY_TREE, headSha);
      if (mergeBase) await prefetch(git, mergeBase, headSha);
      if (plan.since && (await hasCommit(git, plan.since)))
        await prefetch(git, plan.since, headSha);
    }
    return { mode: partial ? 'partial' : 'full', headSha, mergeBase };
  });
}

function prefetch(git: SimpleGit, from: string, to: string): Promise<string> {
  return git.raw([
    'diff',
    '--numstat',
    '--no-ext-diff',
    '--no-textconv',
    '--no-renames',
    from,
    to,
    '--',
  ]);
}

async function hasCommit(git: SimpleGit, sha: string): Promise<boolean> {
  try {
    await git.raw(['cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hard-links every object file and pack of `from` into `to` (same layout), copying where a
 * link is impossible (another filesystem). Existing files are kept.
 */
async function linkObjects(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'info') continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    await mkdir(target, { recursive: true });
    for (const file of await readdir(source, { withFileTypes: true })) {
      if (!file.isFile()) continue;
      const src = path.join(source, file.name);
      const dst = path.join(target, file.name);
      try {
        await link(src, dst);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
        await copyFile(src, dst);
      }
    }
  }
}

/**
 * Removes mirrors, least recently used first, until they fit in `maxBytes` together. The
 * mirror a job just used stays, and so does any mirror another job holds the lock of.
 */
export async function evictGitCache(
  root: string,
  maxBytes: number,
  keep?: string,
): Promise<string[]> {
  const mirrors: { dir: string; bytes: number; usedAt: number }[] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !entry.name.endsWith('.git')) continue;
    const dir = path.join(root, entry.name);
    const usedAt = await stat(path.join(dir, LAST_USED)).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    mirrors.push({ dir, bytes: await sizeOf(dir), usedAt });
  }
  let total = mirrors.reduce((sum, mirror) => sum + mirror.bytes, 0);
  const evicted: string[] = [];
  for (const mirror of mirrors.sort((a, b) => a.usedAt - b.usedAt)) {
    if (total <= maxBytes) break;
    if (mirror.dir === keep) continue;
    const removed = await withDirectoryLock(
      `${mirror.dir}.lock`,
      () => rm(mirror.dir, { recursive: true, force: true }),
      { timeoutMs: 0 },
    );
    if (removed === undefined) continue;
    total -= mirror.bytes;
    evicted.push(mirror.dir);
  }
  return evicted;
}

async function sizeOf(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += await stat(path.join(entry.parentPath, entry.name)).then(
      (s) => s.size,
      () => 0,
    );
  }
  return bytes;
}
