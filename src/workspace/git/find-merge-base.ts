import type { SimpleGit } from 'simple-git';

/**
 * The best common ancestor of two commits, or undefined when they share no history (or
 * the shared part has not been fetched yet). `git merge-base` exits 1 without output in
 * that case, which simple-git reports as success with empty output. A name that starts
 * with a dash (`--fork-point`) is a revision here, never an option.
 */
export async function findMergeBase(
  git: SimpleGit,
  a: string,
  b: string,
): Promise<string | undefined> {
  const output = (await git.raw(['merge-base', '--end-of-options', a, b])).trim();
  return output === '' ? undefined : output;
}
