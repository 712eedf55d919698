import type { SecretRedactor } from '../util/redact-secrets.js';
import { isNotFound } from './errors.js';
import { fitGitHubText, MAX_CHECK_RUN_TEXT_CHARS } from './limits.js';
import { parseProgressBody } from './progress-marker.js';
import {
  createProgressReporter,
  type ProgressReporter,
  type ProgressReporterOptions,
} from './progress-reporter.js';
import type { ProgressState, ProgressSubject } from './progress-state.js';
import { progressTitle, renderProgressBody } from './render-progress.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export interface ProgressCheckRunOptions
  extends ProgressReporterOptions, Omit<ProgressSubject, 'jobKind'> {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  /** The commit the check run is attached to (the PR head). */
  readonly headSha: string;
  /** Default "Patchling review". */
  readonly name?: string;
  /** Default "review". */
  readonly jobKind?: string;
  readonly redactor: SecretRedactor;
}

/**
 * The progress of a PR review as a check run: queued → in_progress → completed with
 * conclusion success, neutral or failure. The job id is the check run's external_id.
 */
export function createProgressCheckRun(options: ProgressCheckRunOptions): ProgressReporter {
  const { octokit, repo, redactor } = options;
  const subject: ProgressSubject = { jobId: options.jobId, jobKind: options.jobKind ?? 'review' };
  const now = options.now ?? Date.now;

  const output = (state: ProgressState) => ({
    title: progressTitle(state),
    summary: fitGitHubText(
      redactor.redact(renderProgressBody(subject, state, now(), redactor)),
      MAX_CHECK_RUN_TEXT_CHARS,
    ),
  });

  return createProgressReporter(
    {
      async create(state) {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
          owner: repo.owner,
          repo: repo.repo,
          name: options.name ?? 'Patchling review',
          head_sha: options.headSha,
          external_id: options.jobId,
          ...statusFields(state),
          output: output(state),
        });
        return Number(data.id);
      },
      async update(id, state) {
        await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
          owner: repo.owner,
          repo: repo.repo,
          check_run_id: id,
          ...statusFields(state),
          output: output(state),
        });
      },
      async load(id) {
        try {
          const { data } = await octokit.request(
            'GET /repos/{owner}/{repo}/check-runs/{check_run_id}',
            { owner: repo.owner, repo: repo.repo, check_run_id: id },
          );
          if (data.external_id !== options.jobId) return undefined;
          const parsed = parseProgressBody(data.output.summary ?? '')?.state;
          const startedAt = data.started_at ? Date.parse(data.started_at) : now();
          const base = parsed ?? { status: 'running', startedAt, plan: [] };
          // GitHub's status wins: a completed run is final whatever the summary says.
          if (data.status !== 'completed') return base;
          return data.conclusion === 'failure' || data.conclusion === 'timed_out'
            ? { ...base, status: 'failed' }
            : { ...base, status: 'succeeded' };
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      },
    },
    { ...options, redact: (text) => redactor.redact(text) },
  );
}

type CheckRunStatusFields =
  | { status: 'queued' | 'in_progress' }
  | {
      status: 'completed';
      conclusion: 'success' | 'neutral' | 'failure';
      completed_at: string;
      details_url?: string;
    };

function statusFields(state: ProgressState): CheckRunStatusFields {
  switch (state.status) {
    case 'queued':
      return { status: 'queued' };
    case 'running':
      return { status: 'in_progress' };
    case 'succeeded':
    case 'failed':
      return {
        status: 'completed',
        conclusion: state.status === 'failed' ? 'failure' : state.neutral ? 'neutral' : 'success',
        completed_at: new Date(state.finishedAt ?? Date.now()).toISOString(),
        // GitHub accepts only http(s) URLs here.
        ...(state.link && /^https?:\/\//.test(state.link) ? { details_url: state.link } : {}),
      };
    default: {
      const unhandled: never = state.status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}
