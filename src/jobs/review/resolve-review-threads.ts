import { describeError } from '../../errors.js';
import { resolveFixedThreads, type PreviousReviewState } from '../../github/post-review.js';
import type { AgentJobDeps } from '../run-agent-job.js';
import { stillInCode } from './finding-code.js';

export interface ResolveReviewThreadsInput {
  readonly deps: Pick<AgentJobDeps, 'github' | 'log'>;
  readonly jobId: string;
  readonly repo: { readonly owner: string; readonly repo: string };
  readonly pullNumber: number;
  readonly previous: PreviousReviewState;
  readonly headSha: string;
  /** Fingerprints of this run's findings (posted, repeated, or left out by the settings). */
  readonly stillPresent: ReadonlySet<string>;
  readonly reviewedFiles: readonly string[];
  /**
   * For an incremental review, the files the new commits changed; absent for a review of
   * the whole change.
   */
  readonly rewrittenFiles?: readonly string[];
  /** The reviewed checkout's lines of a file (createFileLines). */
  readonly lines: (path: string) => Promise<string[] | undefined>;
}

/**
 * Resolves the threads of findings that are gone, each with a short "Addressed in <sha>"
 * reply, after the review is posted (a failure here is logged, never fatal).
 *
 * A review of the whole change resolves what it no longer reports on the files it reviewed.
 * An incremental review looked at the new commits, not at the problems already there, so
 * it only re-checks the findings on the files those commits rewrote: one whose code is
 * still in the new file (moved or not) stays open, one whose lines were rewritten and that
 * this run did not report again is resolved.
 */
export async function resolveReviewThreads(input: ResolveReviewThreadsInput): Promise<number> {
  const warn = (message: string) =>
    input.deps.log({ msg: 'warning', jobId: input.jobId, warning: message });
  try {
    let reviewedFiles = input.reviewedFiles;
    let stillPresent = input.stillPresent;
    if (input.rewrittenFiles !== undefined) {
      const reviewed = new Set(input.reviewedFiles);
      const rewritten = new Set(input.rewrittenFiles.filter((file) => reviewed.has(file)));
      const kept = await stillInCode(input.previous, rewritten, input.lines);
      reviewedFiles = [...rewritten];
      stillPresent = new Set([...input.stillPresent, ...kept]);
    }
    const result = await resolveFixedThreads({
      octokit: input.deps.github,
      repo: input.repo,
      pullNumber: input.pullNumber,
      previous: input.previous,
      stillPresent,
      reviewedFiles,
      reply: `Addressed in ${input.headSha.slice(0, 7)}.`,
      log: { warn },
    });
    return result.resolved.length;
  } catch (error) {
    warn(`could not resolve the threads of fixed findings: ${describeError(error)}`);
    return 0;
  }
}
