import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { findWorkspaceHazards, inodeId } from '../find-workspace-hazards.js';

/**
 * Refuses to let git stage a working tree that holds a repository other than its own:
 * `git add --all` would record a gitlink, and git (ours, or the user's next `git status`)
 * would read the nested repository's config, hooks and filters on the host. The sandbox
 * removes those a command makes; this is the last check before git touches the tree, and
 * it neither deletes nor guesses: the user's own nested clones are theirs to move.
 */
export async function assertNoNestedRepositories(dir: string): Promise<void> {
  const own = await lstat(path.join(dir, '.git')).catch(() => undefined);
  const hazards = await findWorkspaceHazards(dir, {
    known: new Set(own === undefined ? [] : [inodeId(own)]),
  });
  const nested = hazards.filter((hazard) => hazard.kind === 'repository');
  if (nested.length === 0) return;
  const shown = nested
    .slice(0, 10)
    .map((hazard) => JSON.stringify(path.relative(dir, hazard.path)))
    .join(', ');
  throw new UserError(
    `The working tree holds ${nested.length === 1 ? 'a git repository' : `${nested.length} git repositories`} of its own (${shown}${nested.length > 10 ? ', ...' : ''}). ` +
      'Patchling does not run git over nested repositories (their config and hooks would run on this host) ' +
      'and never commits them; remove them, or move them out of the working tree.',
  );
}
