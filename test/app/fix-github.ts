/**
 * What a fix job asks api.github.com, played on top of mockGitHub (test/support/app-harness.ts):
 * the issue or pull request and its discussion, the repository, the accounts behind the
 * commit's author and co-author, the progress comment, and the draft pull request.
 * Writes go through `github.write`, so their bodies are checked against GitHub's schemas.
 */
import { githubUser, type GitHubCall, type GitHubMock } from '../support/app-harness.js';
import { TEST_INSTALLATION } from '../support/webhook-payloads.js';

export const ISSUE_COMMENTS = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
export const ISSUE_COMMENT = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
export const COMMENT_REACTIONS = '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions';
export const PULLS = '/repos/{owner}/{repo}/pulls';

/** Intermediate progress edits tolerated besides the final one (one per 10 s at most). */
const MAX_PROGRESS_UPDATES = 12;

/** The repository as webhooks and GET /repos/{owner}/{repo} show it (the fields that matter). */
export function repositoryJson(
  owner: string,
  repo: string,
  ownerType: 'User' | 'Organization' = 'Organization',
) {
  return {
    id: 1296269,
    node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
    name: repo,
    full_name: `${owner}/${repo}`,
    private: false,
    owner: { login: owner, id: ownerType === 'User' ? 583232 : 9919, type: ownerType },
    default_branch: 'main',
    html_url: `https://github.com/${owner}/${repo}`,
    url: `https://api.github.com/repos/${owner}/${repo}`,
    clone_url: `https://github.com/${owner}/${repo}.git`,
  };
}

/** GET /users/{login}: the account's id makes the no-reply address. */
export function userJson(login: string, id: number) {
  const bot = login.endsWith('[bot]');
  return {
    login,
    id,
    node_id: bot ? 'BOT_kgDOAnfWqg' : 'MDQ6VXNlcjU4MzIzMQ==',
    type: bot ? 'Bot' : 'User',
    site_admin: false,
    html_url: bot
      ? `https://github.com/apps/${login.replace(/\[bot\]$/, '')}`
      : `https://github.com/${login}`,
  };
}

/** An issue a fix job reads, and the progress comment it posts there. */
export interface IssueJob {
  readonly number: number;
  readonly progressId: number;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  readonly comments?: readonly { author: string; body: string }[];
  /** The repository's .github/patchling.yml; none when undefined. */
  readonly yaml?: string;
}

export interface FixGitHub {
  /**
   * The App's requests up to the job: its token, its login, the config (`yaml`, or none),
   * the requester's write permission.
   */
  admission(requester: string, yaml?: string): void;
  /** The fix job's reads of an issue after its progress comment: config, discussion, repository. */
  issueJob(job: IssueJob): void;
  /** The progress comment: created on the issue with `id`, then edited (finally once). */
  progressComment(issueNumber: number, id: number): void;
  /** Every body the progress comment was edited to, in order. */
  progressEdits(id: number): string[];
  /** The last edit: the job's final word. */
  finalProgress(id: number): string;
  /** GET /repos/{owner}/{repo}. */
  repository(): void;
  /** GET .../issues/{n}, an open issue by `author`. */
  issue(number: number, issue: { title: string; body: string; author: string }): void;
  /** GET .../issues/{n}/comments (one page). */
  issueComments(number: number, comments?: readonly { author: string; body: string }[]): void;
  /** GET /users/{login}. */
  user(login: string, id: number): void;
  /** GET .../pulls/{n}. */
  pullRequest(number: number, pr: Record<string, unknown>): void;
  /** POST .../pulls, created as number `number`. */
  createPullRequest(number: number): void;
  /** POST .../issues/comments/{id}/reactions: the 👀 on a command. */
  reaction(commentId: number): void;
  /** The POST .../pulls calls. */
  pullRequestsCreated(): GitHubCall[];
}

export function fixGitHub(github: GitHubMock, owner: string, repo: string): FixGitHub {
  const params = { owner, repo };
  const base = `/repos/${owner}/${repo}`;
  const edits = (id: number) =>
    github.calls
      .filter((call) => call.method === 'PATCH' && call.path === `${base}/issues/comments/${id}`)
      .map((call) => (call.body as { body: string }).body);
  const gh: FixGitHub = {
    admission(requester, yaml) {
      github.installationAuth(TEST_INSTALLATION.id);
      github.app();
      github.repoConfig(owner, repo, yaml);
      github.permission(owner, repo, requester, 'write');
    },
    issueJob(job) {
      gh.progressComment(job.number, job.progressId);
      github.repoConfig(owner, repo, job.yaml);
      gh.issueComments(job.number, job.comments);
      gh.issue(job.number, { title: job.title, body: job.body, author: job.author });
      gh.repository();
    },
    progressComment(issueNumber, id) {
      github.write('POST', ISSUE_COMMENTS, { ...params, issue_number: issueNumber }, (body) => [
        201,
        {
          id,
          node_id: `IC_kwDO${id}`,
          url: `https://api.github.com${base}/issues/comments/${id}`,
          html_url: `https://github.com/${owner}/${repo}/issues/${issueNumber}#issuecomment-${id}`,
          issue_url: `https://api.github.com${base}/issues/${issueNumber}`,
          body: body.body,
          user: githubUser('patchling[bot]'),
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
          author_association: 'NONE',
        },
      ]);
      const edited = (body: Record<string, unknown>) =>
        [200, { id, body: body.body, user: githubUser('patchling[bot]') }] as const;
      github.write('PATCH', ISSUE_COMMENT, { ...params, comment_id: id }, edited);
      for (let i = 0; i < MAX_PROGRESS_UPDATES; i += 1) {
        github.write('PATCH', ISSUE_COMMENT, { ...params, comment_id: id }, edited, {
          optional: true,
        });
      }
    },
    progressEdits: edits,
    finalProgress(id) {
      const all = edits(id);
      const last = all.at(-1);
      if (last === undefined) throw new Error(`progress comment ${id} was never edited`);
      return last;
    },
    repository() {
      github.scope.get(base).reply(200, repositoryJson(owner, repo));
    },
    issue(number, issue) {
      github.scope.get(`${base}/issues/${number}`).reply(200, {
        id: 1_000_000 + number,
        node_id: `I_kwDO${number}`,
        number,
        title: issue.title,
        body: issue.body,
        state: 'open',
        user: githubUser(issue.author),
        labels: [{ name: 'patchling' }],
        html_url: `https://github.com/${owner}/${repo}/issues/${number}`,
        url: `https://api.github.com${base}/issues/${number}`,
        comments: 0,
        created_at: '2025-01-01T00:00:00Z',
        updated_at: '2025-01-01T00:00:00Z',
        author_association: 'MEMBER',
      });
    },
    issueComments(number, comments = []) {
      github.scope
        .get(`${base}/issues/${number}/comments`)
        .query({ per_page: '100', page: '1' })
        .reply(
          200,
          comments.map((comment, index) => ({
            id: 900 + index,
            body: comment.body,
            user: githubUser(comment.author),
            created_at: '2025-01-01T00:00:00Z',
            updated_at: '2025-01-01T00:00:00Z',
            author_association: 'MEMBER',
          })),
        );
    },
    user(login, id) {
      // Octokit escapes the brackets of a bot's login.
      github.scope
        .get((uri) => decodeURIComponent(uri) === `/users/${login}`)
        .reply(200, userJson(login, id));
    },
    pullRequest(number, pr) {
      github.scope.get(`${base}/pulls/${number}`).reply(200, pr);
    },
    createPullRequest(number) {
      github.write('POST', PULLS, params, (body) => [
        201,
        {
          id: 5_000_000 + number,
          node_id: `PR_kwDO${number}`,
          number,
          state: 'open',
          draft: body.draft,
          title: body.title,
          body: body.body,
          html_url: `https://github.com/${owner}/${repo}/pull/${number}`,
          url: `https://api.github.com${base}/pulls/${number}`,
          head: { ref: body.head, label: `${owner}:${String(body.head)}` },
          base: { ref: body.base, label: `${owner}:${String(body.base)}` },
          user: githubUser('patchling[bot]'),
          maintainer_can_modify: body.maintainer_can_modify,
        },
      ]);
    },
    reaction(commentId) {
      github.write('POST', COMMENT_REACTIONS, { ...params, comment_id: commentId }, (body) => [
        201,
        {
          id: 7,
          node_id: 'REA_7',
          user: githubUser('patchling[bot]'),
          content: body.content,
          created_at: '2025-01-01T00:00:00Z',
        },
      ]);
    },
    pullRequestsCreated() {
      return github.calls.filter((call) => call.method === 'POST' && call.path === `${base}/pulls`);
    },
  };
  return gh;
}
