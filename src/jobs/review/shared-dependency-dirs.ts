import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '../../workspace/git/run-git.js';

/**
 * Directory names that hold installed dependencies, not the project's own code. Only
 * those git ignores count: a vendored tree the repository tracks is its code, and copied.
 */
export const DEPENDENCY_DIR_NAMES: ReadonlySet<string> = new Set([
  'node_modules',
  'bower_components',
  'jspm_packages',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  'vendor',
  '.bundle',
]);

/**
 * The dependency trees of a checkout that a scratch copy may share read-only instead of
 * copying: directories git ignores (untracked, listed as directories), named as in
 * DEPENDENCY_DIR_NAMES, real directories (not symlinks), as paths relative to the
 * checkout, outermost only.
 */
export async function listSharedDependencyDirs(workspace: string): Promise<string[]> {
  const listed = await runGit({ dir: workspace }, 'Listing the ignored directories', (git) =>
    git.raw(['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z']),
  );
  const found: string[] = [];
  for (const entry of listed.split('\0')) {
    if (!entry.endsWith('/')) continue;
    const relative = entry.slice(0, -1);
    if (!DEPENDENCY_DIR_NAMES.has(path.posix.basename(relative))) continue;
    const stats = await lstat(path.join(workspace, relative)).catch(() => undefined);
    if (stats?.isDirectory() !== true) continue;
    found.push(relative);
  }
  // `--directory` lists the outermost ignored directory; keep it so.
  return found.filter((dir) => !found.some((other) => dir.startsWith(`${other}/`)));
}
