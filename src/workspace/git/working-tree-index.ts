import { randomUUID } from 'node:crypto';
import { copyFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { assertNoNestedRepositories } from './assert-no-nested-repositories.js';
import { runGit } from './run-git.js';
import type { GitContext } from './run-git.js';

/**
 * Runs `use` with a throwaway index that holds the whole working tree, untracked files
 * included (as `git add -A` would stage them, .gitignore respected), so a diff of the
 * index shows everything the agent changed without touching the workspace's real index.
 * The temporary index lives in `.git` and is removed afterwards.
 */
export async function withWorkingTreeIndex<T>(
  context: GitContext,
  action: string,
  use: (git: SimpleGit) => Promise<T>,
): Promise<T> {
  await assertNoNestedRepositories(context.dir);
  const gitDir = await runGit(context, action, async (git) =>
    (await git.raw(['rev-parse', '--absolute-git-dir'])).trim(),
  );
  const indexFile = path.join(gitDir, `patchling-index-${randomUUID()}`);
  try {
    // Starting from the real index keeps its stat data, so unchanged files are not re-hashed.
    await copyIndexKeepingItsTime(path.join(gitDir, 'index'), indexFile);
    return await runGit(
      context,
      action,
      async (git) => {
        await git.raw(['add', '--all', '--', '.']);
        return use(git);
      },
      { env: { GIT_INDEX_FILE: indexFile } },
    );
  } finally {
    await rm(indexFile, { force: true });
    await rm(`${indexFile}.lock`, { force: true });
  }
}

/**
 * Copies an index with its modification time. Git trusts an entry's stat data only when
 * the entry is older than the index file itself ("racy git"): a file rewritten in the same
 * timestamp tick as the index, with the same size, is otherwise taken as unchanged. A copy
 * stamped "now" would make every such entry look trustworthy, and the agent's change would
 * be missed (seen as "the change is empty" when a test rewrote a file right after commit).
 */
async function copyIndexKeepingItsTime(from: string, to: string): Promise<void> {
  try {
    await copyFile(from, to);
    const { atime, mtime } = await stat(from);
    await utimes(to, atime, mtime);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
