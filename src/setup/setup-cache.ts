import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SystemError, UserError } from '../errors.js';
import { isRegularFile } from './detect-setup-command.js';

const run = promisify(execFile);

/** Default size of the whole cache (every repository): 4 GiB. */
export const DEFAULT_SETUP_CACHE_MAX_BYTES = 4 * 1024 ** 3;

/** PATCHLING_SETUP_CACHE_MAX_MB, the operator's cap on the whole cache; unset: the default. */
export function setupCacheMaxBytesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): number {
  const text = env.PATCHLING_SETUP_CACHE_MAX_MB?.trim();
  if (text === undefined || text === '') return DEFAULT_SETUP_CACHE_MAX_BYTES;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UserError(
      `PATCHLING_SETUP_CACHE_MAX_MB must be a whole number of megabytes (at least 1), got ${JSON.stringify(text)}.`,
    );
  }
  return Number(text) * 1024 * 1024;
}

/**
 * The files whose content decides what setup installs. Lockfiles above all; manifests
 * too, since some installers read them (npm ci refuses a package.json out of step), and
 * the version pins of the toolchain. Only the root: a monorepo's nested lockfiles are
 * listed by its setup script, whose text is part of the key.
 */
const KEY_FILES: readonly string[] = [
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'yarn.lock',
  '.yarnrc.yml',
  '.npmrc',
  '.nvmrc',
  'requirements.txt',
  'pyproject.toml',
  'uv.lock',
  'poetry.lock',
  'Pipfile.lock',
  '.python-version',
  'go.mod',
  'go.sum',
  'Cargo.toml',
  'Cargo.lock',
  'Gemfile',
  'Gemfile.lock',
  '.tool-versions',
];

// Bump when the archive's layout or meaning changes: old entries then simply miss.
const FORMAT = 'patchling-setup-cache-v1';

/**
 * The cache key of a setup: the script, the key files' contents, and what the result
 * depends on outside the checkout (platform, architecture, node's ABI for native modules).
 */
export async function setupCacheKey(workspace: string, command: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${FORMAT}\0${process.platform}\0${process.arch}\0${process.versions.modules}\0`);
  hash.update(`${command}\0`);
  for (const file of KEY_FILES) {
    const full = path.join(workspace, file);
    if (!(await isRegularFile(full))) continue;
    const digest = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
    hash.update(`${file}\0${digest}\0`);
  }
  return hash.digest('hex');
}

export interface SetupCacheEntry {
  /** The archive: a tar of the paths setup created, relative to the checkout. */
  readonly archive: string;
  readonly paths: readonly string[];
  readonly bytes: number;
}

interface EntryMeta {
  readonly scope: string;
  readonly command: string;
  readonly paths: readonly string[];
  readonly createdAt: string;
}

/**
 * Setup results on disk: `<dir>/<scope hash>/<key>.tar` with `<key>.json` beside it, one
 * directory per repository. Used entries are touched; when the whole cache passes its
 * size, the least recently used go first. Writes are atomic (a rename), so a reader never
 * sees half an archive, and two jobs storing the same key both end with a whole one.
 */
export class SetupCache {
  constructor(
    private readonly dir: string,
    private readonly maxBytes: number = DEFAULT_SETUP_CACHE_MAX_BYTES,
  ) {}

  private scopeDir(scope: string): string {
    return path.join(this.dir, createHash('sha256').update(scope).digest('hex').slice(0, 24));
  }

  /** The entry for this scope and key, touched as used; undefined when there is none. */
  async lookup(scope: string, key: string): Promise<SetupCacheEntry | undefined> {
    const base = path.join(this.scopeDir(scope), key);
    try {
      const meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as EntryMeta;
      const archive = `${base}.tar`;
      const { size } = await stat(archive);
      const now = new Date();
      await utimes(archive, now, now);
      return { archive, paths: meta.paths, bytes: size };
    } catch {
      return undefined;
    }
  }

  /**
   * Archives `paths` of the checkout under the key, then evicts. Returns the size, or
   * undefined when the archive alone is larger than the whole cache may be (not kept).
   * The archive is made by the host's tar, which stores symlinks as links and special
   * files as entries (it follows and opens neither) and drops set-id bits.
   */
  async store(
    scope: string,
    key: string,
    workspace: string,
    paths: readonly string[],
    command: string,
  ): Promise<number | undefined> {
    const dir = this.scopeDir(scope);
    await mkdir(dir, { recursive: true });
    const suffix = `${process.pid}-${Date.now()}`;
    const temp = path.join(dir, `.${key}.${suffix}.tar`);
    const list = path.join(dir, `.${key}.${suffix}.list`);
    const tempMeta = path.join(dir, `.${key}.${suffix}.json`);
    try {
      await writeFile(list, paths.map((entry) => `${entry}\0`).join(''));
      await run(
        'tar',
        [
          '--create',
          '--file',
          temp,
          '--mode=ug-s',
          '--no-xattrs',
          '--no-acls',
          '--directory',
          workspace,
          '--null',
          '--files-from',
          list,
        ],
        { maxBuffer: 1024 * 1024 },
      );
      const { size } = await stat(temp);
      if (size > this.maxBytes) return undefined;
      const meta: EntryMeta = { scope, command, paths, createdAt: new Date().toISOString() };
      await writeFile(tempMeta, JSON.stringify(meta));
      await rename(temp, path.join(dir, `${key}.tar`));
      await rename(tempMeta, path.join(dir, `${key}.json`));
      await this.evict();
      return size;
    } catch (error) {
      throw new SystemError(`Could not store the setup in the cache: ${String(error)}`, {
        cause: error,
      });
    } finally {
      await rm(temp, { force: true });
      await rm(list, { force: true });
      await rm(tempMeta, { force: true });
    }
  }

  /** Removes the least recently used entries until the cache fits its size. */
  async evict(): Promise<void> {
    const entries: { base: string; bytes: number; used: number }[] = [];
    for (const scope of await readdir(this.dir).catch(() => [] as string[])) {
      const scopeDir = path.join(this.dir, scope);
      for (const name of await readdir(scopeDir).catch(() => [] as string[])) {
        if (!name.endsWith('.tar') || name.startsWith('.')) continue;
        const info = await stat(path.join(scopeDir, name)).catch(() => undefined);
        if (info === undefined) continue;
        entries.push({
          base: path.join(scopeDir, name.slice(0, -'.tar'.length)),
          bytes: info.size,
          used: info.mtimeMs,
        });
      }
    }
    let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    entries.sort((a, b) => a.used - b.used);
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      await rm(`${entry.base}.json`, { force: true });
      await rm(`${entry.base}.tar`, { force: true });
      total -= entry.bytes;
    }
  }
}
