import type { Octokit } from '@octokit/rest';

/** The repository a call is about. A job's `RepoRef` fits. */
export interface GitHubRepo {
  readonly owner: string;
  readonly repo: string;
}

/**
 * The part of an octokit the helpers use: one from `createGitHubClient` (any other must
 * get `installRequestRedaction` first, see docs/github.md).
 */
export type GitHubApi = Pick<Octokit, 'request' | 'graphql'>;

/** Where octokit and the progress reporters write warnings. */
export interface GitHubLog {
  readonly debug: (message: string) => unknown;
  readonly info: (message: string) => unknown;
  readonly warn: (message: string) => unknown;
  readonly error: (message: string) => unknown;
}
