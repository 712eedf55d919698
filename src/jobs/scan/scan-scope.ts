import { UserError } from '../../errors.js';
import {
  isGeneratedOrVendored,
  matchIgnorePaths,
  newFileHead,
  parseGitattributes,
  parseUnifiedDiff,
  planReviewBatches,
  type DiffFile,
  type SkippedFile,
} from '../../workspace/diff/index.js';
import { assertRevision } from '../../workspace/git/check-ref-name.js';
import { runGit } from '../../workspace/git/run-git.js';

/** Enough context lines that every file comes out whole, as one hunk. */
const WHOLE_FILE_CONTEXT = '--unified=100000000';

export interface ScanScopeOptions {
  /** The checkout to scan, at the commit to scan. */
  readonly workspace: string;
  /** Scan only the files changed since this commit (diff-aware); absent: every file. */
  readonly since?: string | undefined;
  /** `scan.paths`: when not empty, only files these patterns match are scanned. */
  readonly paths: readonly string[];
  /** `scan.ignore_paths`: files these patterns match are skipped, with the pattern. */
  readonly ignorePaths: readonly string[];
  /** The checkout's `.gitattributes` (linguist-generated, linguist-vendored). */
  readonly gitattributes?: string | undefined;
  readonly maxBatchTokens: number;
  readonly signal?: AbortSignal | undefined;
}

export interface ScanScope {
  readonly mode: 'full' | 'diff';
  /** The commit scanned. */
  readonly head: string;
  /** Diff-aware: the commit compared with. */
  readonly since?: string;
  /** Each batch's files, whole, as one added hunk each (line numbers are the file's). */
  readonly batches: readonly (readonly DiffFile[])[];
  /** Files in scope that are not hunted, each with the reason. */
  readonly skipped: readonly SkippedFile[];
  /** How many files scan.paths left out (not listed one by one). */
  readonly outsidePaths: number;
}

/**
 * What a scan looks at: every tracked file of the commit (full), or those changed since
 * `since` (diff-aware), each whole. The files are read through git as a diff from the
 * empty tree, so the review's parsing and batch planning apply unchanged: generated and
 * vendored files, ignored paths and binaries are skipped with their reason, and batches
 * fit the model's budget.
 */
export async function scanScope(options: ScanScopeOptions): Promise<ScanScope> {
  const context = { dir: options.workspace, signal: options.signal };
  const head = (
    await runGit(context, 'Reading the commit to scan', (git) => git.raw(['rev-parse', 'HEAD']))
  ).trim();
  const emptyTree = (
    await runGit(context, 'Reading the empty tree', (git) =>
      git.raw(['hash-object', '-t', 'tree', '/dev/null']),
    )
  ).trim();
  let only: string[] | undefined;
  let since: string | undefined;
  if (options.since !== undefined) {
    const ref = assertRevision(options.since, 'since');
    // --quiet: an unknown ref prints nothing (and simple-git may then resolve with '').
    const resolved = (
      await runGit(context, `Resolving ${ref}`, (git) =>
        git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]),
      ).catch(() => '')
    ).trim();
    if (!/^[0-9a-f]{40,64}$/.test(resolved)) {
      throw new UserError(`--since ${ref} is not a commit in this repository.`);
    }
    since = resolved;
    const names = await runGit(context, 'Listing the files changed since the last scan', (git) =>
      git.raw(['diff', '--name-only', '--no-renames', '--diff-filter=d', '-z', resolved, head]),
    );
    only = names.split('\0').filter((name) => name !== '');
  }
  const files =
    only !== undefined && only.length === 0
      ? []
      : parseUnifiedDiff(
          await runGit(context, 'Reading the files to scan', (git) =>
            git.raw([
              'diff',
              '--no-color',
              '--no-ext-diff',
              '--no-textconv',
              '--no-renames',
              '--src-prefix=a/',
              '--dst-prefix=b/',
              WHOLE_FILE_CONTEXT,
              emptyTree,
              head,
              '--',
              ...(only ?? []),
            ]),
          ),
        );
  const included = options.paths.length === 0 ? undefined : matchIgnorePaths(options.paths);
  const inScope = included ? files.filter((file) => included(file.path) !== undefined) : files;
  const attributes =
    options.gitattributes === undefined ? undefined : parseGitattributes(options.gitattributes);
  const plan = planReviewBatches(inScope, {
    maxBatchTokens: options.maxBatchTokens,
    ignorePaths: options.ignorePaths,
    // The default branch is the maintainers' own: its "generated" markers are trusted.
    isGenerated: (file) => isGeneratedOrVendored(file.path, newFileHead(file), attributes),
  });
  return {
    mode: since === undefined ? 'full' : 'diff',
    head,
    ...(since === undefined ? {} : { since }),
    batches: plan.batches,
    skipped: plan.skipped,
    outsidePaths: files.length - inScope.length,
  };
}

/** A file of a scan batch as the model reads it: each line with its number. */
export function renderNumberedFile(file: DiffFile): string {
  const lines: string[] = [`=== ${file.path}`];
  for (const hunk of file.hunks) {
    let number = hunk.newStart;
    for (const line of hunk.lines) {
      if (line.kind === 'del') continue;
      lines.push(`${String(number).padStart(5)}  ${line.text}`);
      number++;
    }
  }
  return `${lines.join('\n')}\n`;
}
