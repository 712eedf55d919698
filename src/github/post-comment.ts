import { fitGitHubText } from './limits.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export interface PostedComment {
  readonly id: number;
  readonly url: string;
}

/**
 * Posts one comment on an issue or pull request, cut to GitHub's length limit. Redaction
 * happens in the client (see installRequestRedaction).
 */
export async function postComment(
  octokit: GitHubApi,
  repo: GitHubRepo,
  issueNumber: number,
  body: string,
): Promise<PostedComment> {
  const { data } = await octokit.request(
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    { owner: repo.owner, repo: repo.repo, issue_number: issueNumber, body: fitGitHubText(body) },
  );
  return { id: Number(data.id), url: data.html_url };
}
