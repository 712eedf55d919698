import type { GitHubApi, GitHubRepo } from './types.js';

export type ReactionContent =
  '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

/**
 * What was reacted to. A comment on a PR's conversation is an issue comment; a comment on
 * a line of its diff is a review comment; 'issue' reacts to the issue or PR itself (the id
 * is then its number).
 */
export type ReactionSubject = 'issue_comment' | 'review_comment' | 'issue';

/** Adds a reaction (👀 to acknowledge a command). Reacting twice is not an error. */
export async function addReaction(
  octokit: GitHubApi,
  repo: GitHubRepo,
  id: number,
  content: ReactionContent,
  on: ReactionSubject = 'issue_comment',
): Promise<void> {
  const base = { owner: repo.owner, repo: repo.repo, content };
  switch (on) {
    case 'issue_comment':
      await octokit.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', {
        ...base,
        comment_id: id,
      });
      return;
    case 'review_comment':
      await octokit.request('POST /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions', {
        ...base,
        comment_id: id,
      });
      return;
    case 'issue':
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', {
        ...base,
        issue_number: id,
      });
      return;
    default: {
      const unhandled: never = on;
      throw new Error(`unknown reaction subject ${String(unhandled)}`);
    }
  }
}
