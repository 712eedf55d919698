import { describeError } from '../errors.js';
import type { GitHubClient } from '../github/create-github-client.js';
import { createProgressCheckRun } from '../github/progress-check-run.js';
import { createProgressComment } from '../github/progress-comment.js';
import type { Job } from '../jobs/job.js';
import type { JobHandler } from '../queue/execute-job.js';
import type { StoredJob } from '../queue/types.js';
import type { SecretRedactor } from '../util/redact-secrets.js';

/** What the progress of an attempt that died says when its job runs again. */
export const RUNS_AGAIN = 'Patchling restarted while this job ran; it runs again.';

export interface FinalizeProgressDeps {
  readonly githubFor: (installationId: number | undefined) => GitHubClient;
  readonly redactor: SecretRedactor;
}

/**
 * Finishes the progress (a review's check run, a fix's comment) that an attempt of `job`
 * left behind when its process died, with `reason`. One already finished is left alone.
 */
export async function finalizeProgress(
  job: StoredJob<Job>,
  reason: string,
  { githubFor, redactor }: FinalizeProgressDeps,
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
  } else if (typeof progress.check_run === 'number' && payload.kind === 'scan') {
    // A scan's job names a ref, not the commit its check run is on: the run is finished
    // where it is (one that is gone cannot be posted anew without the commit: that fails
    // and is logged by the caller).
    await createProgressCheckRun({
      octokit: github,
      repo,
      headSha: '',
      jobId: job.id,
      name: 'Patchling scan',
      jobKind: 'scan',
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

/**
 * `run`, after finishing whatever progress an earlier attempt of the claimed job left
 * unfinished. The recovery of dead processes' jobs does that too, but on Redis another
 * instance's claim can come before its periodic recovery looks at the job; the claim's
 * snapshot still holds the earlier attempt's progress (this attempt has written none yet),
 * so the old check run or comment is finished here, never the new one. A failure to reach
 * GitHub is logged and does not stop the job.
 */
export function finishingEarlierProgress(
  run: JobHandler<Job>,
  deps: FinalizeProgressDeps & { readonly log: (entry: Record<string, unknown>) => void },
): JobHandler<Job> {
  return async (job, signal) => {
    if (job.progress !== undefined) {
      await finalizeProgress(job, RUNS_AGAIN, deps).catch((error: unknown) =>
        deps.log({
          msg: 'could not finalize the progress of an earlier attempt',
          job: job.id,
          error: describeError(error),
        }),
      );
    }
    return run(job, signal);
  };
}
