import type { SecretRedactor } from '../util/redact-secrets.js';
import { isNotFound } from './errors.js';
import { parseProgressBody, safeJobId } from './progress-marker.js';
import {
  createProgressReporter,
  type ProgressReporter,
  type ProgressReporterOptions,
} from './progress-reporter.js';
import type { ProgressState, ProgressSubject } from './progress-state.js';
import { renderProgressBody } from './render-progress.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export interface ProgressCommentOptions extends ProgressReporterOptions, ProgressSubject {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  /** The issue or pull request the job is about. */
  readonly issueNumber: number;
  /** Applied to the body here too, for an octokit without `installRequestRedaction`. */
  readonly redactor: SecretRedactor;
}

/** The progress of a fix, scan or help job as one issue comment, edited in place. */
export function createProgressComment(options: ProgressCommentOptions): ProgressReporter {
  const { octokit, repo, redactor } = options;
  const now = options.now ?? Date.now;
  const body = (state: ProgressState) =>
    redactor.redact(renderProgressBody(options, state, now(), redactor));

  return createProgressReporter(
    {
      async create(state) {
        const { data } = await octokit.request(
          'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
          {
            owner: repo.owner,
            repo: repo.repo,
            issue_number: options.issueNumber,
            body: body(state),
          },
        );
        return Number(data.id);
      },
      async update(id, state) {
        await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner: repo.owner,
          repo: repo.repo,
          comment_id: id,
          body: body(state),
        });
      },
      async load(id) {
        try {
          const { data } = await octokit.request(
            'GET /repos/{owner}/{repo}/issues/comments/{comment_id}',
            { owner: repo.owner, repo: repo.repo, comment_id: id },
          );
          const parsed = parseProgressBody(data.body ?? '');
          if (parsed?.jobId !== safeJobId(options.jobId)) return undefined;
          return (
            parsed.state ?? { status: 'running', startedAt: Date.parse(data.created_at), plan: [] }
          );
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      },
    },
    { ...options, redact: (text) => redactor.redact(text) },
  );
}
