import { assertRevision } from './check-ref-name.js';
import type { GitContext } from './run-git.js';
import { withWorkingTreeIndex } from './working-tree-index.js';

/**
 * Output options that do not depend on anyone's config: plain a/ b/ prefixes, no color,
 * no external diff program or textconv filter (both would run a command), renames found.
 */
export const DIFF_OPTIONS: readonly string[] = [
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '--find-renames',
  '--unified=3',
];

export interface DiffAgainstOptions {
  /** The working tree. */
  readonly dir: string;
  /** A commit (SHA or ref) to compare with, e.g. the job's head or merge base. */
  readonly base: string;
  /** Include binary patches (`--binary`), which can be applied; off: "Binary files differ". */
  readonly binary?: boolean | undefined;
  /** See GitContext.excludesFile. */
  readonly excludesFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The unified diff from `base` to the working tree as it is now, untracked files included
 * (ignored ones not): what a commit made of the workspace would change. The workspace's
 * own index is left alone.
 */
export async function diffAgainst(options: DiffAgainstOptions): Promise<string> {
  const base = assertRevision(options.base, 'base');
  const context: GitContext = {
    dir: options.dir,
    signal: options.signal,
    excludesFile: options.excludesFile,
  };
  return withWorkingTreeIndex(context, 'Computing the diff', (git) =>
    git.raw([
      'diff',
      '--cached',
      ...DIFF_OPTIONS,
      ...(options.binary ? ['--binary'] : []),
      base,
      '--',
    ]),
  );
}
