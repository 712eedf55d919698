import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { findWorkspaceHazards, inodeId } from '../find-workspace-hazards.js';
import { FORCED_GIT_CONFIG } from './forced-git-config.js';

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
  // An unreachable entry (a path past PATH_MAX) may hide one: refused the same way.
  const repositories = hazards.filter(
    (hazard) => hazard.kind === 'repository' || hazard.kind === 'unreachable',
  );
  const ignored = await ignoredPaths(
    dir,
    repositories.map((hazard) => path.relative(dir, path.dirname(hazard.path))),
  );
  // git does not look into an ignored directory: a user's ignored clone (vendor/) is safe.
  const nested = repositories.filter(
    (hazard) => !ignored.has(path.relative(dir, path.dirname(hazard.path))),
  );
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

/**
 * Which of `paths` (relative, directories holding a nested repository) .gitignore rules
 * exclude. `git check-ignore` reads ignore files only, never a nested repository's config;
 * it runs with the forced config and no global or system config. Any failure counts as
 * "not ignored", which refuses.
 */
function ignoredPaths(dir: string, paths: readonly string[]): Promise<Set<string>> {
  const candidates = paths.filter((entry) => entry !== '' && !entry.startsWith('..'));
  if (candidates.length === 0) return Promise.resolve(new Set());
  const args = [
    ...FORCED_GIT_CONFIG.flatMap((setting) => ['-c', setting]),
    'check-ignore',
    '-z',
    '--stdin',
    '--no-index',
  ];
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_CONFIG_NOSYSTEM: '1',
        },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout) => {
        // Exit 1: none ignored. Anything else without output: treat as none.
        const listed = error !== null && stdout === '' ? [] : stdout.split('\0');
        resolve(
          new Set(listed.filter((entry) => entry !== '').map((entry) => entry.replace(/\/$/, ''))),
        );
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(candidates.map((entry) => `${entry}/\0`).join(''));
  });
}
