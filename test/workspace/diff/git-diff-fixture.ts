import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A file's new content; `executable` sets the x bit; null deletes it. */
export type FileChange = string | Buffer | { content: string | Buffer; executable: boolean } | null;
export type FileChanges = Readonly<Record<string, FileChange>>;

export interface DiffRepo {
  readonly dir: string;
  /** Applies the changes (other files stay as they are) and commits; returns the SHA. */
  commit(changes: FileChanges): Promise<string>;
  /** `git diff <args> from to`, stdout as git wrote it. */
  diff(from: string, to: string, args?: readonly string[]): Promise<string>;
  remove(): Promise<void>;
}

/** Git with the host's config ignored, so the defaults are git's own. */
async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', [...args], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Fixture Author',
      GIT_AUTHOR_EMAIL: 'author@fixture.invalid',
      GIT_COMMITTER_NAME: 'Fixture Author',
      GIT_COMMITTER_EMAIL: 'author@fixture.invalid',
      LC_ALL: 'C',
    },
  });
  return stdout;
}

export async function createDiffRepo(): Promise<DiffRepo> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-diff-parse-')));
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  return {
    dir,
    async commit(changes) {
      for (const [name, change] of Object.entries(changes)) {
        const file = path.join(dir, name);
        if (change === null) {
          await rm(file, { force: true });
          continue;
        }
        await mkdir(path.dirname(file), { recursive: true });
        const isObject = typeof change === 'object' && !Buffer.isBuffer(change);
        await writeFile(file, isObject ? change.content : change);
        await chmod(file, isObject && change.executable ? 0o755 : 0o644);
      }
      await git(dir, ['add', '-A']);
      await git(dir, ['commit', '--quiet', '--allow-empty', '-m', 'change']);
      return (await git(dir, ['rev-parse', 'HEAD'])).trim();
    },
    diff: (from, to, args = []) => git(dir, ['diff', ...args, from, to]),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The diff git makes from `before` to `before` + `after`, in a throwaway repository. */
export async function diffBetween(
  before: FileChanges,
  after: FileChanges,
  args: readonly string[] = [],
): Promise<string> {
  const repo = await createDiffRepo();
  try {
    const base = await repo.commit(before);
    const head = await repo.commit(after);
    return await repo.diff(base, head, args);
  } finally {
    await repo.remove();
  }
}

/** `count` numbered lines, `prefix1` … `prefixN`, each ending with a newline. */
export function numberedLines(count: number, prefix = 'line '): string {
  return Array.from({ length: count }, (_, index) => `${prefix}${index + 1}\n`).join('');
}
