import { readRepoFile } from '../github/read-repo-file.js';
import type { GitHubApi, GitHubRepo } from '../github/types.js';
import {
  parseRepoConfig,
  REPO_CONFIG_MAX_BYTES,
  REPO_CONFIG_PATH,
  type RepoConfigResult,
} from './repo-config.js';

/**
 * `.github/patchling.yml` as on the default branch (the contents API without a ref),
 * parsed. Never from a pull request's head: its author must not choose how it is reviewed.
 */
export async function loadRepoConfig(
  github: GitHubApi,
  repo: GitHubRepo,
): Promise<RepoConfigResult> {
  return parseRepoConfig(
    await readRepoFile(github, repo, REPO_CONFIG_PATH, undefined, {
      maxBytes: REPO_CONFIG_MAX_BYTES,
    }),
  );
}
