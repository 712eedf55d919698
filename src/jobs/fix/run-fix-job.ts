import { mkdir } from 'node:fs/promises';
import type { UntrustedText } from '../../agent/untrusted.js';
import { createProgressComment } from '../../github/progress-comment.js';
import { describeAbort } from '../../errors.js';
import type { GitHubRepo } from '../../github/types.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import {
  prepareJobWorkspace,
  type JobWorkspace,
} from '../../workspace/git/prepare-job-workspace.js';
import type { FixJob } from '../job.js';
import { loadBaseAgentsInstructions } from '../load-base-agents.js';
import { agentNetworkOf } from '../agent-network.js';
import { loadRepoConfig } from '../load-repo-config.js';
import { formatConfigProblems } from '../repo-config.js';
import type { AgentJobDeps, AgentJobOutcome } from '../run-agent-job.js';
import { runJobSetup } from '../run-job-setup.js';
import { fixChanges, type FixChangesResult } from './fix-changes.js';
import { loadFixTarget, type FixTarget } from './load-fix-target.js';
import { loadIssueImages } from './load-issue-images.js';
import { publishFix } from './publish-fix.js';
import { renderFixFailureDetails } from './render-fix-report.js';

/**
 * An issue (or a pull request) to a tested change, as the App and the Action run it: a
 * progress comment, the config from the default branch, a checkout of where the change
 * goes, the agent in the workspace-write sandbox, Patchling's own test run and checks,
 * then a commit by the bot with the requester as co-author, pushed with the token given
 * to that one git command, and a draft pull request. When the tests fail or a check
 * refuses the change, nothing is pushed and the comment says what was tried.
 */
export async function runFixJob(
  jobId: string,
  job: FixJob,
  deps: AgentJobDeps,
  signal: AbortSignal,
): Promise<AgentJobOutcome> {
  const repo: GitHubRepo = { owner: job.repo.owner, repo: job.repo.repo };
  const redactor = new SecretRedactor(deps.secrets);
  const progress = createProgressComment({
    octokit: deps.github,
    repo,
    issueNumber: job.issueNumber,
    jobId,
    jobKind: 'fix',
    redactor,
  });
  const progressId = await progress.start();
  let workspace: JobWorkspace | undefined;
  // From here on, whatever fails ends the progress comment visibly (the catch below).
  try {
    await deps.onProgressCreated({ kind: 'comment', id: progressId });
    const loaded = await loadRepoConfig(deps.github, repo);
    if (!loaded.ok) {
      const message = formatConfigProblems(loaded.problems);
      await progress.failed(message);
      return { status: 'failed', message };
    }
    const config = loaded.config;
    const botLogin = await deps.botLogin();
    const target = await loadFixTarget(
      deps.github,
      repo,
      job,
      botLogin,
      config.fix.allow_fork_copies,
    );
    if (!target.ok) {
      await progress.failed(target.reason);
      return { status: 'failed', message: target.reason };
    }

    await mkdir(deps.workRoot, { recursive: true });
    const token = await deps.gitToken();
    // From now on the progress, the outcome and the pull request hide the token too.
    redactor.add(...tokenSpellings(token));
    progress.running('Fetching the repository');
    const { owner: fromOwner, repo: fromRepo, ...head } = target.checkout;
    workspace = await prepareJobWorkspace({
      ...head,
      remoteUrl: deps.cloneUrl(fromOwner, fromRepo),
      token,
      parentDir: deps.workRoot,
      cache: deps.gitCache,
      signal,
    });

    const setup = await runJobSetup({
      jobId,
      deps,
      repo,
      config,
      workspace: workspace.dir,
      secrets: [...deps.secrets, ...tokenSpellings(token)],
      progress,
      signal,
      pullRequest: target.origin.kind === 'pull_request' ? target.origin.number : undefined,
    });
    if (!setup.ok) {
      await progress.failed(setup.message, setup.details);
      return { status: 'failed', message: redactor.redact(setup.message) };
    }

    const attached = await loadIssueImages(
      [target.body, ...target.comments.map((comment) => comment.body)],
      deps.modelConfig.profile.images,
      signal,
    );
    for (const note of attached.notes) deps.log({ msg: 'image left out', jobId, note });

    progress.running('Working on the fix');
    const result = await fixChanges({
      workspace: workspace.dir,
      base: workspace.headSha,
      subject: target.subject,
      untrusted: untrustedOf(target, job.instructions),
      images: attached.images,
      ...(target.instructionsRef === undefined
        ? {}
        : { agents: await loadBaseAgentsInstructions(deps.github, repo, target.instructionsRef) }),
      settings: config.fix,
      sandboxEnv: config.sandbox.env,
      ...agentNetworkOf(deps, config),
      modelConfig: deps.modelConfig,
      stateDir: deps.stateDir,
      env: {},
      secrets: [...deps.secrets, ...tokenSpellings(token)],
      budgets: { maxTurns: deps.maxTurns },
      scratchParent: deps.workRoot,
      signal,
      onEvent: (event) => {
        progress.onAgentEvent(event);
        deps.onAgentEvent?.(event);
      },
      onStage: (stage) => {
        if (stage === 'tests') progress.running('Running the tests');
        if (stage === 'checks') progress.running('Checking the change');
      },
      onWarning: (message) => deps.log({ msg: 'warning', jobId, warning: message }),
    });
    deps.log({ msg: 'fix finished', jobId, runId: result.runId, status: result.status });
    if (result.status !== 'ready') {
      await progress.failed(
        failureReason(result, target),
        withSetupNote(renderFixFailureDetails(result), setup),
      );
      return {
        status: result.status === 'budget_exceeded' ? 'budget_exceeded' : 'failed',
        runId: result.runId,
        message: redactor.redact(result.message),
      };
    }

    progress.running('Publishing the change');
    const published = await publishFix({
      deps,
      job,
      target,
      result,
      dir: workspace.dir,
      base: workspace.headSha,
      token,
      botLogin,
      signal,
    });
    if (published.kind === 'patch_only') {
      await progress.failed(published.reason, published.details);
      return { status: 'failed', runId: result.runId, message: redactor.redact(published.reason) };
    }
    const summary = setup.note ? `${published.summary} ${setup.note}` : published.summary;
    await progress.succeeded({ summary, link: published.link });
    return {
      status: 'completed',
      runId: result.runId,
      message: redactor.redact(summary),
      ...(result.report ? { finalMessage: redactor.redact(result.report.summary) } : {}),
    };
  } catch (error) {
    await progress.failed(signal.aborted ? describeAbort(signal) : (error as Error).message);
    throw error;
  } finally {
    await workspace?.dispose();
  }
}

function untrustedOf(target: FixTarget, instructions: string | undefined): UntrustedText[] {
  return [
    {
      label: `${target.origin.kind === 'issue' ? 'issue' : 'pull request'} title`,
      text: target.title,
    },
    {
      label: `${target.origin.kind === 'issue' ? 'issue' : 'pull request'} body`,
      text: target.body,
    },
    ...target.comments.map((comment) => ({
      label: `comment by ${comment.author}`,
      text: comment.body,
    })),
    ...(instructions ? [{ label: 'fix request', text: instructions }] : []),
  ];
}

function failureReason(result: FixChangesResult, target: FixTarget): string {
  // A fix for a pull request's own branch opens nothing even when it works.
  const outcome =
    target.push.openPullRequestInto === undefined
      ? 'Nothing was pushed'
      : 'No pull request was opened';
  switch (result.status) {
    case 'no_change':
      return `${outcome}: the agent found nothing to change.`;
    case 'tests_failed':
      return `${outcome}: ${lowerFirst(result.message)}`;
    case 'rejected':
      return `${outcome}: a check refused the change.`;
    default:
      return result.message;
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A setup that failed without stopping the job is said wherever the job's result is. */
function withSetupNote(details: string, setup: { note?: string; details?: string }): string {
  if (setup.note === undefined) return details;
  return [setup.note, setup.details, details].filter(Boolean).join('\n\n');
}
