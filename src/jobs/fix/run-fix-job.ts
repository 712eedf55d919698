import { mkdir } from 'node:fs/promises';
import type { UntrustedText } from '../../agent/untrusted.js';
import { accountIdentity } from '../../github/account-identity.js';
import { openDraftPullRequest } from '../../github/open-pull-request.js';
import { createProgressComment } from '../../github/progress-comment.js';
import { describeAbort, describeError, UserError } from '../../errors.js';
import type { GitHubRepo } from '../../github/types.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import { commitChanges } from '../../workspace/git/commit-changes.js';
import {
  prepareJobWorkspace,
  type JobWorkspace,
} from '../../workspace/git/prepare-job-workspace.js';
import { pushBranch } from '../../workspace/git/push-branch.js';
import type { FixJob } from '../job.js';
import { loadBaseAgentsInstructions } from '../load-base-agents.js';
import { loadRepoConfig } from '../load-repo-config.js';
import { formatConfigProblems } from '../repo-config.js';
import type { AgentJobDeps, AgentJobOutcome } from '../run-agent-job.js';
import { fixChanges, type FixChangesResult } from './fix-changes.js';
import { loadFixTarget, type FixTarget } from './load-fix-target.js';
import { loadIssueImages } from './load-issue-images.js';
import {
  fixPullRequestTitle,
  renderFixFailureDetails,
  renderFixPullRequestBody,
} from './render-fix-report.js';

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
      await progress.failed(failureReason(result, target), renderFixFailureDetails(result));
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
      token,
      botLogin,
      signal,
    });
    await progress.succeeded({ summary: published.summary, link: published.link });
    return {
      status: 'completed',
      runId: result.runId,
      message: redactor.redact(published.summary),
      ...(result.report ? { finalMessage: redactor.redact(result.report.summary) } : {}),
    };
  } catch (error) {
    await progress.failed(signal.aborted ? describeAbort(signal) : (error as Error).message);
    throw error;
  } finally {
    await workspace?.dispose();
  }
}

async function publishFix(input: {
  deps: AgentJobDeps;
  job: FixJob;
  target: FixTarget;
  result: FixChangesResult;
  dir: string;
  token: string;
  botLogin: string;
  signal: AbortSignal;
}): Promise<{ summary: string; link: string }> {
  const { deps, job, target, result } = input;
  const secrets = new SecretRedactor([...deps.secrets, ...tokenSpellings(input.token)]);
  const [author, requester] = await Promise.all([
    accountIdentity(deps.github, input.botLogin),
    accountIdentity(deps.github, job.requester.login),
  ]);
  const sha = await commitChanges({
    dir: input.dir,
    message: commitMessage(target, result),
    author,
    coAuthors: [requester],
    redactor: secrets,
    signal: input.signal,
  });
  const push = await pushOrPropose(input, target.push);
  if (push.openPullRequestInto === undefined) {
    const link = `${target.htmlBase}/${push.owner}/${push.repo}/commit/${sha}`;
    return {
      summary: secrets.redact(`Pushed ${sha.slice(0, 7)} to \`${push.branch}\`: ${result.message}`),
      link,
    };
  }
  const repo = { owner: job.repo.owner, repo: job.repo.repo };
  const pr = await openDraftPullRequest({
    octokit: deps.github,
    repo,
    head: push.branch,
    base: push.openPullRequestInto,
    title: secrets.redact(fixPullRequestTitle(target.origin, target.title)),
    body: secrets.redact(
      renderFixPullRequestBody({
        origin: target.origin,
        result,
        requester: job.requester.login,
        modelConfig: deps.modelConfig,
      }),
    ),
  });
  return {
    summary: secrets.redact(
      `${pr.created ? 'Opened' : 'Updated'} the draft pull request #${pr.number}: ${result.message}`,
    ),
    link: pr.url,
  };
}

function commitMessage(target: FixTarget, result: FixChangesResult): string {
  const subject =
    target.origin.kind === 'issue'
      ? `Fix #${target.origin.number}: ${target.title}`
      : `Changes asked for in #${target.origin.number}`;
  // The model's words must not add trailers (a forged Co-authored-by, a Signed-off-by).
  const body = (result.report?.summary ?? result.message).replace(
    /^([A-Za-z][A-Za-z0-9-]*-by)\s*:/gim,
    '$1 -',
  );
  return `${subject.replace(/\s+/g, ' ').slice(0, 72)}\n\n${body}`;
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

type PushTarget = FixTarget['push'];

/**
 * Pushes the fix. When a pull request's own branch in this repository refuses it (it
 * moved on during the run, or it is protected), the fix is not lost: it goes to
 * Patchling's branch `patchling/pr-N` and is proposed into that branch instead. A fork's
 * branch gets no such fallback: that would copy the fork's commits into this repository.
 */
async function pushOrPropose(
  input: {
    deps: AgentJobDeps;
    job: FixJob;
    target: FixTarget;
    dir: string;
    token: string;
    signal: AbortSignal;
  },
  push: PushTarget,
): Promise<PushTarget> {
  const pushTo = (target: PushTarget) =>
    pushBranch({
      dir: input.dir,
      remoteUrl: input.deps.cloneUrl(target.owner, target.repo),
      token: input.token,
      branch: target.branch,
      // Patchling's own branch is rewritten by a new attempt; anyone else's only grows.
      force: target.own,
      signal: input.signal,
    });
  try {
    await pushTo(push);
    return push;
  } catch (error) {
    const inThisRepo =
      push.owner.toLowerCase() === input.job.repo.owner.toLowerCase() &&
      push.repo.toLowerCase() === input.job.repo.repo.toLowerCase();
    const ownBranch = `patchling/pr-${input.target.origin.number}`;
    if (
      !(error instanceof UserError) ||
      input.target.origin.kind !== 'pull_request' ||
      push.openPullRequestInto !== undefined ||
      !inThisRepo ||
      push.branch === ownBranch
    ) {
      throw error;
    }
    input.deps.log({
      msg: 'push refused, proposing the fix on its own branch',
      branch: push.branch,
      reason: describeError(error),
    });
    const fallback: PushTarget = {
      ...push,
      branch: ownBranch,
      own: true,
      openPullRequestInto: push.branch,
    };
    await pushTo(fallback);
    return fallback;
  }
}
