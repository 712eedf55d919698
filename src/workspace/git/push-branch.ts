import { assertFullSha, toBranchName } from './check-ref-name.js';
import { parseRemoteUrl } from './parse-remote-url.js';
import { runGit } from './run-git.js';
import type { GitContext } from './run-git.js';

export interface PushBranchOptions {
  /** The working tree whose HEAD is pushed. */
  readonly dir: string;
  /** Pushed to directly, not through the workspace's `origin` (which could have been edited). */
  readonly remoteUrl: string;
  readonly token: string;
  /** The branch to create or update, `name` or `refs/heads/name`. */
  readonly branch: string;
  /** Replace the branch even if that drops commits. Off by default. */
  readonly force?: boolean | undefined;
  /**
   * Replace the branch only if it is still at this commit (`--force-with-lease`), or,
   * with null, only if it does not exist. Takes the place of `force`.
   */
  readonly lease?: string | null | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly stallMs?: number | undefined;
}

/**
 * Pushes HEAD to `refs/heads/<branch>` on the remote, with the token as a per-process
 * header. The pre-push hook never runs. A push the remote refuses (not a fast-forward, a
 * protected branch) is a UserError with git's message. Returns the pushed SHA.
 */
export async function pushBranch(options: PushBranchOptions): Promise<string> {
  const remote = parseRemoteUrl(options.remoteUrl);
  const branch = toBranchName(options.branch, 'branch');
  const context: GitContext = {
    dir: options.dir,
    auth: { remote, token: options.token },
    signal: options.signal,
    stallMs: options.stallMs,
  };
  return runGit(context, `Pushing to ${branch}`, async (git) => {
    const sha = (await git.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    const leased = options.lease !== undefined;
    if (options.lease) assertFullSha(options.lease, 'lease');
    // No '+' with a lease: a forced refspec would override it.
    const refspec = `${options.force && !leased ? '+' : ''}${sha}:refs/heads/${branch}`;
    await git.raw([
      'push',
      '--progress',
      '--no-verify',
      '--no-recurse-submodules',
      ...(leased ? [`--force-with-lease=refs/heads/${branch}:${options.lease ?? ''}`] : []),
      '--',
      remote.href,
      refspec,
    ]);
    return sha;
  });
}
