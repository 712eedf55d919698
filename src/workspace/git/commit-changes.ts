import { UserError } from '../../errors.js';
import type { SecretRedactor } from '../../util/redact-secrets.js';
import { checkIdentity, formatCommitMessage } from './commit-message.js';
import type { GitIdentity } from './commit-message.js';
import { assertNoNestedRepositories } from './assert-no-nested-repositories.js';
import { runGit } from './run-git.js';
import type { GitContext } from './run-git.js';

export interface CommitChangesOptions {
  /** The working tree. */
  readonly dir: string;
  readonly message: string;
  /** The App's bot: author and committer. */
  readonly author: GitIdentity;
  /** Credited with `Co-authored-by:` trailers, e.g. whoever asked for the change. */
  readonly coAuthors?: readonly GitIdentity[] | undefined;
  /** Applied to the message before it is written (design: redaction on the way out). */
  readonly redactor?: SecretRedactor | undefined;
  /** See GitContext.excludesFile. */
  readonly excludesFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Stages the whole working tree (`git add -A`, .gitignore respected) and commits it as
 * `author`, with co-author trailers. No hook runs (`--no-verify` and the forced
 * `core.hooksPath=/dev/null`, which also covers post-commit and prepare-commit-msg, and
 * beats a hooksPath in the repository's config). Returns the new commit's SHA; a working
 * tree without changes is a UserError, since there is nothing to publish.
 */
export async function commitChanges(options: CommitChangesOptions): Promise<string> {
  await assertNoNestedRepositories(options.dir);
  const author = checkIdentity(options.author, 'commit author');
  const text = options.redactor ? options.redactor.redact(options.message) : options.message;
  const message = formatCommitMessage(text, author, options.coAuthors ?? []);
  const context: GitContext = {
    dir: options.dir,
    signal: options.signal,
    excludesFile: options.excludesFile,
  };
  return runGit(
    context,
    'Committing the changes',
    async (git) => {
      await git.raw(['add', '--all', '--', '.']);
      const staged = await git.raw(['diff', '--cached', '--name-only', '--no-ext-diff', '-z']);
      if (staged === '') throw new UserError('There are no changes to commit.');
      await git.raw([
        'commit',
        '--quiet',
        '--no-verify',
        '--cleanup=whitespace',
        '--message',
        message,
      ]);
      return (await git.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    },
    {
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
      },
    },
  );
}
