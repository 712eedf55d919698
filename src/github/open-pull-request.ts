import { isGitHubRequestFailure } from './errors.js';
import { fitGitHubText } from './limits.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export interface OpenedPullRequest {
  readonly number: number;
  readonly url: string;
  /** false when an open pull request from the same branch existed and was updated instead. */
  readonly created: boolean;
}

export interface OpenPullRequestOptions {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  /** The branch with the change, in `repo`. */
  readonly head: string;
  /** The branch it is proposed for. */
  readonly base: string;
  readonly title: string;
  readonly body: string;
}

/**
 * Opens a draft pull request. A second fix of the same issue pushes the same branch: the
 * pull request already open from it (GitHub answers 422) gets the new title and body.
 */
export async function openDraftPullRequest(
  options: OpenPullRequestOptions,
): Promise<OpenedPullRequest> {
  const { octokit, repo } = options;
  const body = fitGitHubText(options.body);
  try {
    const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls', {
      owner: repo.owner,
      repo: repo.repo,
      head: options.head,
      base: options.base,
      title: options.title,
      body,
      draft: true,
      maintainer_can_modify: true,
    });
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    if (!isGitHubRequestFailure(error) || error.status !== 422) throw error;
    const existing = await findOpenPullRequest(octokit, repo, options.head);
    if (existing === undefined) throw error;
    await octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner: repo.owner,
      repo: repo.repo,
      pull_number: existing.number,
      title: options.title,
      body,
    });
    return { ...existing, created: false };
  }
}

async function findOpenPullRequest(
  octokit: GitHubApi,
  repo: GitHubRepo,
  branch: string,
): Promise<{ number: number; url: string } | undefined> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
    owner: repo.owner,
    repo: repo.repo,
    head: `${repo.owner}:${branch}`,
    state: 'open',
    per_page: 1,
  });
  const found = data[0];
  return found === undefined ? undefined : { number: found.number, url: found.html_url };
}
