import { SystemError } from '../../errors.js';
import { assertRevision } from './check-ref-name.js';
import type { GitContext } from './run-git.js';
import { withWorkingTreeIndex } from './working-tree-index.js';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed';

export interface ChangedFile {
  /** Path relative to the working tree root, after the change. */
  readonly path: string;
  readonly status: ChangeStatus;
  /** The path before a rename or copy. */
  readonly oldPath?: string | undefined;
}

export interface ChangedFilesOptions {
  readonly dir: string;
  /** A commit (SHA or ref) to compare with. */
  readonly base: string;
  /** See GitContext.excludesFile. */
  readonly excludesFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

const STATUS: Readonly<Record<string, ChangeStatus>> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
};

/**
 * The files that differ between `base` and the working tree, untracked files included,
 * with the same rules as diffAgainst (so the two always agree). Paths are exact: git's
 * NUL-separated output is used, so no quoting or escaping gets in the way.
 */
export async function changedFiles(options: ChangedFilesOptions): Promise<ChangedFile[]> {
  const base = assertRevision(options.base, 'base');
  const context: GitContext = {
    dir: options.dir,
    signal: options.signal,
    excludesFile: options.excludesFile,
  };
  const output = await withWorkingTreeIndex(context, 'Listing changed files', (git) =>
    git.raw([
      'diff',
      '--cached',
      '--no-ext-diff',
      '--find-renames',
      '--name-status',
      '-z',
      base,
      '--',
    ]),
  );
  return parseNameStatus(output);
}

/** Parses `git diff --name-status -z`: `M\0path\0`, `R100\0old\0new\0`. */
export function parseNameStatus(output: string): ChangedFile[] {
  const fields = output.split('\0');
  const files: ChangedFile[] = [];
  let i = 0;
  while (i < fields.length && fields[i] !== '') {
    const code = fields[i] ?? '';
    const status = STATUS[code.charAt(0)];
    if (!status) throw new SystemError(`Unexpected status ${JSON.stringify(code)} from git diff.`);
    if (status === 'renamed' || status === 'copied') {
      files.push({ path: fields[i + 2] ?? '', oldPath: fields[i + 1] ?? '', status });
      i += 3;
    } else {
      files.push({ path: fields[i + 1] ?? '', status });
      i += 2;
    }
  }
  return files;
}
