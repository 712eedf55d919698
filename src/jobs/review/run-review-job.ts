import { mkdir } from 'node:fs/promises';
import { createProgressCheckRun } from '../../github/progress-check-run.js';
import { describeAbort } from '../../errors.js';
import {
  dismissChangeRequests,
  findingFingerprint,
  loadPreviousReviewState,
  publishReview,
  type PublishableFinding,
  type PublishReviewResult,
  type ReviewEvent,
} from '../../github/post-review.js';
import { readRepoFile } from '../../github/read-repo-file.js';
import type { GitHubApi } from '../../github/types.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { commentableRange } from '../../workspace/diff/index.js';
import { parseUnifiedDiff } from '../../workspace/diff/index.js';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import { diffAgainst } from '../../workspace/git/diff-against.js';
import { prepareJobWorkspace } from '../../workspace/git/prepare-job-workspace.js';
import type { ReviewJob } from '../job.js';
import { loadBaseAgentsInstructions } from '../load-base-agents.js';
import { loadRepoConfig } from '../load-repo-config.js';
import { formatConfigProblems } from '../repo-config.js';
import type { AgentJobDeps, AgentJobOutcome } from '../run-agent-job.js';
import { runJobSetup } from '../run-job-setup.js';
import { codeOf, createFileLines } from './finding-code.js';
import { PRIORITY_RANK, type Finding } from './finding.js';
import { resolveReviewThreads } from './resolve-review-threads.js';
import { reviewChanges, type ReviewedFinding, type ReviewSettings } from './review-changes.js';

/**
 * A pull request review, as the App and the Action run it: a check run for progress, the
 * repository's config from its default branch, what Patchling posted before, a fresh
 * checkout of the head, the review of what changed since the last reviewed commit (or of
 * the whole pull request), one GitHub review with the findings, and the threads of fixed
 * findings resolved. See docs/github-review.md.
 */
export async function runReviewJob(
  jobId: string,
  job: ReviewJob,
  deps: AgentJobDeps,
  signal: AbortSignal,
): Promise<AgentJobOutcome> {
  const repo = { owner: job.repo.owner, repo: job.repo.repo };
  const redactor = new SecretRedactor(deps.secrets);
  const pr = await resolvePullRequest(deps.github, job);
  const progress = createProgressCheckRun({
    octokit: deps.github,
    repo,
    headSha: pr.headSha,
    jobId,
    redactor,
  });
  const progressId = await progress.start();
  let workspace: Awaited<ReturnType<typeof prepareJobWorkspace>> | undefined;
  // From here on, whatever fails ends the check run visibly (the catch below).
  try {
    await deps.onProgressCreated({ kind: 'check_run', id: progressId });
    const loaded = await loadRepoConfig(deps.github, repo);
    if (!loaded.ok) {
      const message = formatConfigProblems(loaded.problems);
      await progress.failed(message);
      return { status: 'failed', message };
    }
    const config = loaded.config;
    const previous = await loadPreviousReviewState({
      octokit: deps.github,
      repo,
      pullNumber: job.pullNumber,
      botLogin: await deps.botLogin(),
    });
    // A push is reviewed from where the last review stopped; a request asks for all of it.
    const since = job.trigger === 'pull_request' ? previous.lastReviewedSha : undefined;
    if (since !== undefined && since === pr.headSha) {
      const summary = `Commit ${pr.headSha.slice(0, 7)} was reviewed already.`;
      await progress.succeeded({ summary, conclusion: 'neutral' });
      return { status: 'completed', message: summary };
    }

    await mkdir(deps.workRoot, { recursive: true });
    const token = await deps.gitToken();
    // From now on the progress, the outcome and the review hide the token too.
    redactor.add(...tokenSpellings(token));
    progress.running('Fetching the pull request');
    workspace = await prepareJobWorkspace({
      remoteUrl: deps.cloneUrl(repo.owner, repo.repo),
      token,
      headSha: pr.headSha,
      baseRef: pr.baseRef,
      since,
      parentDir: deps.workRoot,
      cache: deps.gitCache,
      signal,
    });
    if (workspace.mergeBase === undefined) {
      const message = `The head of #${job.pullNumber} shares no history with ${pr.baseRef}, so there is no diff to review.`;
      await progress.failed(message);
      return { status: 'failed', message };
    }
    // Only a review that runs the code (verified suggestions) needs the dependencies.
    // A setup that failed without stopping the job is said with its outcome, as a fix does:
    // it is why no suggestion could pass its check.
    let setupNote: string | undefined;
    if (config.review.verify !== undefined) {
      const setup = await runJobSetup({
        jobId,
        deps,
        repo,
        config,
        workspace: workspace.dir,
        secrets: [...deps.secrets, ...tokenSpellings(token)],
        progress,
        signal,
        pullRequest: job.pullNumber,
      });
      if (!setup.ok) {
        await progress.failed(setup.message, setup.details);
        return { status: 'failed', message: redactor.redact(setup.message) };
      }
      setupNote = setup.note;
    }
    const withSetupNote = (text: string) => (setupNote ? `${text} ${setupNote}` : text);
    const fullDiff = await diffAgainst({ dir: workspace.dir, base: workspace.mergeBase, signal });
    const reviewBase = workspace.since ?? workspace.mergeBase;
    const diff =
      reviewBase === workspace.mergeBase
        ? fullDiff
        : await diffAgainst({ dir: workspace.dir, base: reviewBase, signal });

    const gitattributes = await readRepoFile(deps.github, repo, '.gitattributes', pr.baseRef, {
      maxBytes: 256 * 1024,
    });
    progress.running('Reviewing');
    let partsDone = 0;
    const review = await reviewChanges({
      workspace: workspace.dir,
      diff,
      subject: subjectOf(job, pr, workspace.since),
      untrusted: [
        { label: 'pull request title', text: pr.title },
        { label: 'pull request body', text: pr.body },
        ...(job.instructions ? [{ label: 'review request', text: job.instructions }] : []),
      ],
      agents: await loadBaseAgentsInstructions(deps.github, repo, pr.baseRef),
      settings: config.review,
      ...(gitattributes === undefined ? {} : { gitattributes }),
      // "@generated" in a file's first lines is the author's to write: not a reason to skip.
      trustHeadMarkers: false,
      sandboxEnv: config.sandbox.env,
      modelConfig: deps.modelConfig,
      stateDir: deps.stateDir,
      env: {},
      extraSecrets: [...deps.secrets, ...tokenSpellings(token)],
      budgets: { maxTurns: deps.maxTurns },
      scratchParent: deps.workRoot,
      signal,
      onBatchStart: (batch) => {
        if (batch.total > 1 && batch.index === 1)
          progress.running(`Reviewing ${batch.total} parts at once`);
      },
      onBatchFinish: (batch) => {
        partsDone += 1;
        if (batch.total > 1) progress.running(`Reviewed ${partsDone} of ${batch.total} parts`);
      },
      onConcurrency: (limit) =>
        deps.log({ msg: 'review concurrency', jobId, limit, why: 'provider rate limit' }),
      onEvent: (event) => {
        progress.onAgentEvent(event);
        deps.onAgentEvent?.(event);
      },
      onWarning: (message) => deps.log({ msg: 'warning', jobId, warning: message }),
    });
    const runId = review.runIds.at(-1);
    deps.log({
      msg: 'review finished',
      jobId,
      runIds: review.runIds,
      status: review.status,
      findings: review.findings.length,
      dropped: review.dropped.length,
    });
    for (const { finding, suggestionNote } of review.findings) {
      if (suggestionNote === undefined) continue;
      deps.log({
        msg: 'suggestion left out',
        jobId,
        path: finding.path,
        title: finding.title,
        reason: redactor.redact(suggestionNote),
      });
    }
    if (review.status === 'failed' || review.status === 'budget_exceeded') {
      await progress.failed(review.message);
      return {
        status: review.status,
        message: redactor.redact(withSetupNote(review.message)),
        ...(runId ? { runId } : {}),
      };
    }
    if (review.files.length === 0 && workspace.since !== undefined) {
      const summary = `Nothing changed since ${workspace.since.slice(0, 7)}, the last reviewed commit.`;
      await progress.succeeded({ summary, conclusion: 'neutral' });
      return { status: 'completed', message: summary, ...(runId ? { runId } : {}) };
    }

    progress.running('Posting the review');
    // Each finding carries the code of its lines: its fingerprint (findingFingerprint).
    const lines = createFileLines(workspace.dir);
    const withCode = async <T extends Finding>(finding: T) => {
      const code = await codeOf(lines, finding);
      return code === undefined ? finding : { ...finding, code };
    };
    // Model-written text is redacted here as well as by the client: the token is known here.
    const findings = await Promise.all(
      review.findings.map(toPublishable).map((finding) =>
        withCode({
          ...finding,
          title: redactor.redact(finding.title),
          explanation: redactor.redact(finding.explanation),
          suggestion: finding.suggestion === null ? null : redactor.redact(finding.suggestion),
        }),
      ),
    );
    const fullFiles = parseUnifiedDiff(fullDiff);
    const complete =
      review.status === 'completed' &&
      workspace.since === undefined &&
      review.skippedFiles.length === 0;
    const event = reviewEvent(config.review, findings, { complete });
    const published = await publishReview({
      octokit: deps.github,
      repo,
      pullNumber: job.pullNumber,
      headSha: pr.headSha,
      findings,
      summary: redactor.redact(summaryOf(review.summary, workspace.since, review.dropped.length)),
      reviewedFiles: review.reviewedFiles,
      skippedFiles: review.skippedFiles,
      event,
      // A partial review leaves the last complete one as where the next run starts.
      markReviewed: review.status === 'completed',
      commentable: (path, start, end) => commentableRange(fullFiles, path, start, end),
      previous,
      log: { warn: (message) => deps.log({ msg: 'warning', jobId, warning: message }) },
    });
    const dropped = await Promise.all(review.dropped.map(({ finding }) => withCode(finding)));
    const resolved = await resolveReviewThreads({
      deps,
      jobId,
      repo,
      pullNumber: job.pullNumber,
      previous,
      headSha: pr.headSha,
      // Left out by the settings is not fixed.
      stillPresent: new Set([...published.fingerprints, ...dropped.map(findingFingerprint)]),
      reviewedFiles: review.reviewedFiles,
      // An incremental review re-checks only the findings on the files it saw rewritten.
      ...(workspace.since === undefined
        ? {}
        : { rewrittenFiles: review.files.map((file) => file.path) }),
      lines,
    });
    // A complete review that found nothing at the bar lifts Patchling's earlier "changes
    // requested": left standing, it would block the merge for problems that are gone.
    const dismissed =
      complete && event !== 'REQUEST_CHANGES'
        ? await dismissChangeRequests({
            octokit: deps.github,
            repo,
            pullNumber: job.pullNumber,
            reviewIds: previous.changesRequested ?? [],
            message: dismissalMessage(pr.headSha, config.review.request_changes_at),
            log: { warn: (message) => deps.log({ msg: 'warning', jobId, warning: message }) },
          })
        : [];
    const message = withSetupNote(
      describePublished(published, resolved, dismissed.length, review.message),
    );
    await progress.succeeded({
      summary: message,
      link: `${pr.htmlUrl}#pullrequestreview-${published.reviewId}`,
      ...(findings.length === 0 ? { conclusion: 'neutral' as const } : {}),
    });
    return {
      status: 'completed',
      message,
      finalMessage: redactor.redact(review.summary),
      ...(runId ? { runId } : {}),
    };
  } catch (error) {
    await progress.failed(signal.aborted ? describeAbort(signal) : (error as Error).message);
    throw error;
  } finally {
    await workspace?.dispose();
  }
}

function toPublishable(reviewed: ReviewedFinding): PublishableFinding {
  const { finding, verifiedSuggestion, suggestionNote } = reviewed;
  if (suggestionNote === undefined) return { ...finding, verifiedSuggestion };
  // Say why the reader gets no ready change, in one line: the check's output goes to the log.
  const why = (suggestionNote.split('\n')[0] ?? '').replace(/:\s*$/, '').slice(0, 200);
  return {
    ...finding,
    explanation: `${finding.explanation}\n\n_A suggested change was left out: ${why}._`,
    verifiedSuggestion,
  };
}

/**
 * COMMENT unless the repository configured otherwise. Approval needs a complete review of
 * the whole change (not incremental, nothing skipped or failed) that found nothing.
 */
export function reviewEvent(
  settings: ReviewSettings,
  findings: readonly PublishableFinding[],
  scope: { readonly complete: boolean },
): ReviewEvent {
  const bar = settings.request_changes_at;
  if (bar !== undefined && findings.some((f) => PRIORITY_RANK[f.priority] <= PRIORITY_RANK[bar]))
    return 'REQUEST_CHANGES';
  if (settings.approve_when_clean && findings.length === 0 && scope.complete) return 'APPROVE';
  return 'COMMENT';
}

function subjectOf(job: ReviewJob, pr: PullRequestDetails, since: string | undefined): string {
  const what = `pull request #${job.pullNumber} (${pr.baseRef} ← ${pr.headRef})`;
  const scope =
    since === undefined
      ? 'Its diff against the merge base follows.'
      : `It was reviewed before at ${since.slice(0, 7)}; the diff that follows shows what changed since, which is what to review now.`;
  const request = job.instructions ? ' The requester asks you to focus on the review request.' : '';
  return `Review ${what}. Its title and body follow. ${scope}${request}`;
}

function summaryOf(summary: string, since: string | undefined, dropped: number): string {
  const parts = [];
  if (since !== undefined) parts.push(`Reviewed the changes since ${since.slice(0, 7)}.`);
  parts.push(summary.trim() === '' ? 'No findings.' : summary.trim());
  if (dropped > 0) {
    parts.push(
      `${dropped} more finding${dropped === 1 ? ' was' : 's were'} left out by the repository's settings (priority, confidence, ignored paths, comment limit).`,
    );
  }
  return parts.join('\n\n');
}

function dismissalMessage(headSha: string, bar: ReviewSettings['request_changes_at']): string {
  const what = bar === undefined ? 'nothing that requests changes' : `nothing at ${bar} or above`;
  return `Patchling reviewed ${headSha.slice(0, 7)} in full and found ${what}.`;
}

function describePublished(
  published: PublishReviewResult,
  resolved: number,
  dismissed: number,
  outcome: string,
): string {
  const parts = [
    `${published.posted.length} inline comment${published.posted.length === 1 ? '' : 's'}`,
    `${published.inSummary.length} in the summary`,
  ];
  if (published.skippedAsRepeat.length > 0)
    parts.push(`${published.skippedAsRepeat.length} already posted`);
  if (resolved > 0) parts.push(`${resolved} thread${resolved === 1 ? '' : 's'} resolved`);
  if (dismissed > 0)
    parts.push(`${dismissed} earlier change request${dismissed === 1 ? '' : 's'} dismissed`);
  return `${outcome} Posted: ${parts.join(', ')}.`;
}

interface PullRequestDetails {
  readonly headSha: string;
  readonly headRef: string;
  readonly baseRef: string;
  readonly title: string;
  readonly body: string;
  readonly htmlUrl: string;
}

/** The pull request as it is now: a queued job's event may be older than its head. */
async function resolvePullRequest(github: GitHubApi, job: ReviewJob): Promise<PullRequestDetails> {
  const { data } = await github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
    owner: job.repo.owner,
    repo: job.repo.repo,
    pull_number: job.pullNumber,
  });
  return {
    headSha: data.head.sha,
    headRef: data.head.ref,
    baseRef: data.base.ref,
    title: data.title,
    body: data.body ?? '',
    htmlUrl: data.html_url,
  };
}
