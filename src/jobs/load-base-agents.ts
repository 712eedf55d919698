import {
  AGENTS_MD_LIMIT_BYTES,
  formatAgentsInstructions,
  type AgentsInstructions,
} from '../agent/load-agents-md.js';
import { readRepoFile } from '../github/read-repo-file.js';
import type { GitHubApi, GitHubRepo } from '../github/types.js';

/**
 * The repository's root AGENTS.md (or AGENTS.override.md) as on the base branch, read
 * through the API. A pull request's checkout is its author's, who could otherwise
 * instruct the agent that reviews or changes their work.
 */
export async function loadBaseAgentsInstructions(
  github: GitHubApi,
  repo: GitHubRepo,
  baseRef: string,
): Promise<AgentsInstructions> {
  for (const file of ['AGENTS.override.md', 'AGENTS.md']) {
    const text = await readRepoFile(github, repo, file, baseRef, {
      maxBytes: AGENTS_MD_LIMIT_BYTES * 4,
    });
    if (text !== undefined)
      return formatAgentsInstructions([{ file: `${file} (from ${baseRef})`, text }]);
  }
  return formatAgentsInstructions([]);
}
