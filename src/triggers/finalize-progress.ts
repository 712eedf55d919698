import type { GitHubClient } from '../github/create-github-client.js';
import { createProgressCheckRun } from '../github/progress-check-run.js';
import { createProgressComment } from '../github/progress-comment.js';
import type { Job } from '../jobs/job.js';
import type { StoredJob } from '../queue/types.js';
import type { SecretRedactor } from '../util/redact-secrets.js';

/**
 * Finishes the progress record (check run or comment) of a job a dead process left
 * running, with the reason, so no job's progress stays "running" forever.
 */
export async function finalizeProgress(
  job: StoredJob<Job>,
  reason: string,
  githubFor: (installationId: number | undefined) => GitHubClient,
  redactor: SecretRedactor,
): Promise<void> {
  const progress = job.progress ?? {};
  const payload = job.payload;
  if (payload.kind === 'delivery' || payload.kind === 'help') return;
  const github = githubFor(payload.repo.installationId);
  const repo = { owner: payload.repo.owner, repo: payload.repo.repo };
  if (typeof progress.check_run === 'number' && payload.kind === 'review') {
    await createProgressCheckRun({
      octokit: github,
      repo,
      headSha: payload.headSha ?? '',
      jobId: job.id,
      redactor,
    }).finalizeAfterCrash(progress.check_run, reason);
  } else if (typeof progress.comment === 'number' && payload.kind === 'fix') {
    await createProgressComment({
      octokit: github,
      repo,
      issueNumber: payload.issueNumber,
      jobId: job.id,
      jobKind: payload.kind,
      redactor,
    }).finalizeAfterCrash(progress.comment, reason);
  }
}
