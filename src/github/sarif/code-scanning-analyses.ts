import { z } from 'zod';
import { isGitHubRequestFailure } from '../errors.js';
import type { GitHubApi, GitHubRepo } from '../types.js';
import { TOOL_NAME } from './build-sarif.js';

/** The fields of GitHub's `code-scanning-analysis` (REST API) that the scope decision uses. */
const Analysis = z.object({
  commit_sha: z.string().regex(/^[0-9a-f]{40,64}$/),
  created_at: z.string().refine((value) => !Number.isNaN(Date.parse(value))),
  category: z.string().optional(),
  error: z.string().optional(),
});

export interface PastAnalysis {
  readonly commitSha: string;
  readonly createdAt: Date;
  /** The SARIF's category (runAutomationDetails.id up to its last slash). */
  readonly category: string;
}

export type PastAnalyses =
  | { readonly readable: true; readonly analyses: readonly PastAnalysis[] }
  | { readonly readable: false; readonly reason: string };

/** Enough history to find the last full scan behind a few weeks of daily diff scans. */
const PAGE_SIZE = 100;

/**
 * Patchling's code scanning analyses on `ref`, newest first (`GET …/code-scanning/analyses`
 * filtered by tool name and ref; one page). Analyses that GitHub could not process
 * (`error` set) are left out: their commit was never compared. A repository without code
 * scanning (403, 404) has none to read, and says why.
 */
export async function listPatchlingAnalyses(
  github: GitHubApi,
  repo: GitHubRepo,
  ref: string,
): Promise<PastAnalyses> {
  let data: unknown;
  try {
    const response = await github.request('GET /repos/{owner}/{repo}/code-scanning/analyses', {
      owner: repo.owner,
      repo: repo.repo,
      tool_name: TOOL_NAME,
      ref,
      sort: 'created',
      direction: 'desc',
      per_page: PAGE_SIZE,
    });
    data = response.data;
  } catch (error) {
    if (isGitHubRequestFailure(error) && (error.status === 403 || error.status === 404)) {
      return {
        readable: false,
        reason: `code scanning analyses cannot be read here (${error.status})`,
      };
    }
    throw error;
  }
  const analyses: PastAnalysis[] = [];
  for (const item of Array.isArray(data) ? data : []) {
    const parsed = Analysis.safeParse(item);
    if (!parsed.success || (parsed.data.error ?? '') !== '') continue;
    analyses.push({
      commitSha: parsed.data.commit_sha,
      createdAt: new Date(parsed.data.created_at),
      category: parsed.data.category ?? '',
    });
  }
  // Newest first, whatever order the server kept.
  analyses.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return { readable: true, analyses };
}
