import { readAllPages } from '../../github/review/paginate.js';
import type { GitHubApi, GitHubRepo } from '../../github/types.js';
import type { HeadSelector } from '../../workspace/git/prepare-job-workspace.js';
import type { FixJob } from '../job.js';
import { fixBranch } from './fix-branch.js';
import type { FixOrigin } from './render-fix-report.js';

/** Comments given to the agent, the most recent ones. */
const MAX_COMMENTS = 30;

export interface FixTarget {
  readonly origin: FixOrigin;
  readonly title: string;
  readonly body: string;
  /** The discussion, oldest first, without Patchling's own comments. */
  readonly comments: readonly { readonly author: string; readonly body: string }[];
  /** The task's first sentence. */
  readonly subject: string;
  /** What to check out and where from. */
  readonly checkout: { readonly owner: string; readonly repo: string } & HeadSelector;
  /** Where the commit goes. */
  readonly push: {
    readonly owner: string;
    readonly repo: string;
    readonly branch: string;
    /** Patchling's own branch, which a new attempt may overwrite. */
    readonly own: boolean;
    /** Open a draft pull request from `branch` into this base; absent: the push is the result. */
    readonly openPullRequestInto?: string;
  };
  /** https://github.com, or the Enterprise server's address. */
  readonly htmlBase: string;
  /**
   * A pull request's base branch, whose AGENTS.md the agent follows: its checkout is the
   * author's. Absent for an issue, whose checkout is the default branch itself.
   */
  readonly instructionsRef?: string;
}

/**
 * Where a fix starts and where it goes. An issue: the default branch, then a new branch
 * `patchling/issue-N` and a draft pull request. A pull request: its head branch when it
 * lives in this repository, or in a fork whose author lets maintainers push; otherwise a
 * branch `patchling/pr-N` here and a new draft pull request based on it.
 */
export async function loadFixTarget(
  github: GitHubApi,
  repo: GitHubRepo,
  job: FixJob,
  botLogin: string,
  allowForkCopies = false,
): Promise<({ ok: true } & FixTarget) | { ok: false; reason: string }> {
  const params = { owner: repo.owner, repo: repo.repo };
  const comments = await loadComments(github, repo, job.issueNumber, botLogin);
  if (job.target === 'issue') {
    const [{ data: issue }, { data: repository }] = await Promise.all([
      github.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
        ...params,
        issue_number: job.issueNumber,
      }),
      github.request('GET /repos/{owner}/{repo}', params),
    ]);
    const branch = repository.default_branch;
    return {
      ok: true,
      origin: { kind: 'issue', number: job.issueNumber },
      title: issue.title,
      body: issue.body ?? '',
      comments,
      subject: `Fix issue #${job.issueNumber} of ${repo.owner}/${repo.repo}. Its title, body and comments follow. The checkout is the default branch, ${branch}.`,
      checkout: { ...params, ref: `refs/heads/${branch}` },
      push: {
        ...params,
        branch: fixBranch({ kind: 'issue', number: job.issueNumber }),
        own: true,
        openPullRequestInto: branch,
      },
      htmlBase: htmlBaseOf(repository.html_url, repo),
    };
  }

  const { data: pr } = await github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
    ...params,
    pull_number: job.issueNumber,
  });
  if (pr.state !== 'open') {
    return { ok: false, reason: `Pull request #${pr.number} is closed.` };
  }
  const headRepo = pr.head.repo;
  if (headRepo === null) {
    return { ok: false, reason: `The head repository of #${pr.number} was deleted.` };
  }
  const shared = {
    origin: { kind: 'pull_request' as const, number: pr.number },
    title: pr.title,
    body: pr.body ?? '',
    comments,
    subject: `Make the changes asked for on pull request #${pr.number} of ${repo.owner}/${repo.repo} (${pr.base.ref} ← ${pr.head.ref}). Its title, body and comments follow. The checkout is its head.`,
    htmlBase: htmlBaseOf(pr.base.repo.html_url, repo),
    instructionsRef: pr.base.ref,
  };
  const sameRepo = headRepo.full_name.toLowerCase() === `${repo.owner}/${repo.repo}`.toLowerCase();
  if (sameRepo) {
    if (pr.head.ref === pr.base.repo.default_branch) {
      return {
        ok: false,
        reason: `#${pr.number} proposes ${pr.head.ref}, the default branch: Patchling does not push to it.`,
      };
    }
    return {
      ok: true,
      ...shared,
      checkout: { ...params, headSha: pr.head.sha },
      push: { ...params, branch: pr.head.ref, own: pr.head.ref.startsWith('patchling/') },
    };
  }
  const fork = { owner: headRepo.owner.login, repo: headRepo.name };
  if (pr.maintainer_can_modify) {
    return {
      ok: true,
      ...shared,
      checkout: { ...fork, headSha: pr.head.sha },
      push: { ...fork, branch: pr.head.ref, own: false },
    };
  }
  // The author did not allow pushes to their fork. Copying their commits into a branch
  // here would run their code in this repository's workflows, with its secrets: only
  // when the repository asked for it.
  if (!allowForkCopies) {
    return {
      ok: false,
      reason: `#${pr.number} comes from a fork whose author does not allow edits by maintainers, so Patchling will not push to it, and it does not copy a fork's commits into this repository unless fix.allow_fork_copies is set.`,
    };
  }
  return {
    ok: true,
    ...shared,
    checkout: { ...params, headSha: pr.head.sha, ref: `refs/pull/${pr.number}/head` },
    push: {
      ...params,
      branch: fixBranch({ kind: 'pull_request', number: pr.number }),
      own: true,
      openPullRequestInto: pr.base.ref,
    },
  };
}

async function loadComments(
  github: GitHubApi,
  repo: GitHubRepo,
  issueNumber: number,
  botLogin: string,
): Promise<{ author: string; body: string }[]> {
  // Oldest first, a page at a time: the last pages hold the most recent comments.
  const all = await readAllPages(async (page) => {
    const response = await github.request(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      { owner: repo.owner, repo: repo.repo, issue_number: issueNumber, per_page: 100, page },
    );
    return { data: response.data, headers: response.headers };
  });
  return all
    .filter((comment) => comment.user?.login.toLowerCase() !== botLogin.toLowerCase())
    .filter((comment) => (comment.body ?? '').trim() !== '')
    .slice(-MAX_COMMENTS)
    .map((comment) => ({ author: comment.user?.login ?? 'ghost', body: comment.body ?? '' }));
}

/** `https://github.com/octo/widgets` → `https://github.com`. */
export function htmlBaseOf(htmlUrl: string, repo: GitHubRepo): string {
  const suffix = `/${repo.owner}/${repo.repo}`;
  return htmlUrl.toLowerCase().endsWith(suffix.toLowerCase())
    ? htmlUrl.slice(0, -suffix.length)
    : 'https://github.com';
}
