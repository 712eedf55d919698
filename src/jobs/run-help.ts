import { loadPrompt } from '../agent/load-prompt.js';
import { postComment } from '../github/post-comment.js';
import type { GitHubApi } from '../github/types.js';
import type { HelpJob } from './job.js';

/** `/patchling help`: one comment listing the commands (prompts/help-comment.md). */
export async function runHelp(
  job: HelpJob,
  github: GitHubApi,
  commandName: string,
): Promise<{ commentId: number }> {
  const body = loadPrompt('help-comment', {
    name: commandName,
    note: job.note ? `${job.note}\n\n` : '',
  });
  const posted = await postComment(
    github,
    { owner: job.repo.owner, repo: job.repo.repo },
    job.issueNumber,
    body,
  );
  return { commentId: posted.id };
}
