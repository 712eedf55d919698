import { mkdir } from 'node:fs/promises';
import { assemblePrompt } from '../agent/assemble-prompt.js';
import {
  AGENTS_MD_LIMIT_BYTES,
  formatAgentsInstructions,
  type AgentsInstructions,
} from '../agent/load-agents-md.js';
import { readRepoFile } from '../github/read-repo-file.js';
import { loadPrompt } from '../agent/load-prompt.js';
import { runAgent, type AgentResult } from '../agent/run-agent.js';
import { createProgressCheckRun } from '../github/progress-check-run.js';
import { createProgressComment } from '../github/progress-comment.js';
import type { ProgressReporter } from '../github/progress-reporter.js';
import type { GitHubApi } from '../github/types.js';
import type { ModelConfig } from '../model/model-config.js';
import { SecretRedactor } from '../util/redact-secrets.js';
import { diffAgainst } from '../workspace/git/diff-against.js';
import { prepareJobWorkspace } from '../workspace/git/prepare-job-workspace.js';
import type { FixJob, ReviewJob, ScanJob } from './job.js';
import { newRunId, prepareRunEnvironment, runSetupFor } from './prepare-agent-run.js';

/** How the job ended, with the run's last word (redacted) for whoever reports it. */
export interface AgentJobOutcome {
  readonly status: AgentResult['status'] | 'unavailable';
  readonly runId?: string;
  /** One sentence: what happened. */
  readonly message?: string;
  readonly finalMessage?: string;
}

export interface AgentJobDeps {
  readonly github: GitHubApi;
  /** A short-lived installation token, for git only. */
  readonly gitToken: () => Promise<string>;
  /** https://github.com/OWNER/REPO.git, or a test server's URL. */
  readonly cloneUrl: (owner: string, repo: string) => string;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  /** Where job workspaces are made (one fresh directory per job, removed afterwards). */
  readonly workRoot: string;
  readonly secrets: readonly string[];
  readonly maxTurns: number;
  /** Called once the progress comment or check run exists, to persist its id for a restart. */
  readonly onProgressCreated: (progress: {
    kind: 'comment' | 'check_run';
    id: number;
  }) => Promise<void>;
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * The frame every agent job runs in: visible progress first, then a fresh checkout with
 * the installation token given to git alone, the agent in the sandbox, and a final state
 * on the progress whatever happens. The kinds differ in their task and their publishing;
 * review publishes its summary here, fix and scan arrive with their own issues.
 */
export async function runAgentJob(
  jobId: string,
  job: ReviewJob | FixJob | ScanJob,
  deps: AgentJobDeps,
  signal: AbortSignal,
): Promise<AgentJobOutcome> {
  const repo = { owner: job.repo.owner, repo: job.repo.repo };
  const redactor = new SecretRedactor(deps.secrets);

  if (job.kind !== 'review') {
    // Visible and honest until these jobs exist: the requester is told, nothing runs.
    if (job.kind === 'scan') return { status: 'unavailable' };
    const progress = createProgressComment({
      octokit: deps.github,
      repo,
      issueNumber: job.issueNumber,
      jobId,
      jobKind: job.kind,
      redactor,
    });
    await deps.onProgressCreated({ kind: 'comment', id: await progress.start() });
    await progress.failed('Fixing issues is not available in this version of Patchling yet.');
    return { status: 'unavailable' };
  }

  const pr = await resolvePullRequest(deps.github, job);
  const progress: ProgressReporter = createProgressCheckRun({
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
    await mkdir(deps.workRoot, { recursive: true });
    const token = await deps.gitToken();
    progress.running('Fetching the pull request');
    workspace = await prepareJobWorkspace({
      remoteUrl: deps.cloneUrl(repo.owner, repo.repo),
      token,
      headSha: pr.headSha,
      baseRef: pr.baseRef,
      parentDir: deps.workRoot,
      signal,
    });
    const diff = workspace.mergeBase
      ? await diffAgainst({ dir: workspace.dir, base: workspace.mergeBase, signal })
      : '';

    const runId = newRunId(new Date());
    const run = await prepareRunEnvironment({
      workspace: workspace.dir,
      policy: 'read-only',
      modelConfig: deps.modelConfig,
      stateDir: deps.stateDir,
      runId,
      env: {},
      extraSecrets: [...deps.secrets, token],
    });
    try {
      const assembled = await assemblePrompt({
        workspace: run.sandbox.workspace,
        cwd: run.sandbox.workspace,
        policy: 'read-only',
        jobPrompt: loadPrompt('review'),
        task: {
          prompt: `Review pull request #${job.pullNumber} of ${repo.owner}/${repo.repo} (${pr.baseRef} ← ${pr.headRef}). Its title, body and diff against the merge base follow.${job.instructions ? ' The requester asks you to focus on the review request.' : ''}`,
          // The diff is the author's text too: comments and strings in it are data.
          untrusted: [
            { label: 'pull request title', text: pr.title },
            { label: 'pull request body', text: pr.body },
            { label: 'pull request diff', text: diff },
            ...(job.instructions ? [{ label: 'review request', text: job.instructions }] : []),
          ],
        },
        agents: await loadBaseAgentsInstructions(deps.github, repo, pr.baseRef),
        now: new Date(),
      });
      const setup = runSetupFor({
        runId,
        prompt: assembled,
        workspace: run.sandbox.workspace,
        modelConfig: deps.modelConfig,
        policy: 'read-only',
      });

      progress.running('Reviewing');
      const result = await runAgent({
        setup,
        model: run.model,
        tools: run.tools,
        toolContext: { workspace: run.sandbox.workspace, sandbox: run.sandbox },
        budgets: { maxTurns: deps.maxTurns },
        onEvent: run.sink((event) => progress.onAgentEvent(event)),
        signal,
      });
      if (result.status === 'completed') {
        await progress.succeeded({ summary: result.finalMessage ?? 'No findings.' });
      } else {
        await progress.failed(result.message);
      }
      deps.log({
        msg: 'review finished',
        jobId,
        runId,
        status: result.status,
        turns: result.turns,
      });
      return {
        status: result.status,
        runId,
        message: run.redactor.redact(result.message),
        ...(result.finalMessage !== undefined
          ? { finalMessage: run.redactor.redact(result.finalMessage) }
          : {}),
      };
    } finally {
      run.log.close();
      await run.sandbox.close?.();
    }
  } catch (error) {
    await progress.failed(signal.aborted ? describeAbort(signal.reason) : (error as Error).message);
    throw error;
  } finally {
    await workspace?.dispose();
  }
}

/**
 * The repository's root AGENTS.md (or AGENTS.override.md) as on the base branch. The
 * checkout is the pull request's head, whose author could otherwise instruct the
 * reviewer of their own change.
 */
async function loadBaseAgentsInstructions(
  github: GitHubApi,
  repo: { owner: string; repo: string },
  baseRef: string,
): Promise<AgentsInstructions> {
  for (const file of ['AGENTS.override.md', 'AGENTS.md']) {
    const text = await readRepoFile(github, repo, file, baseRef, {
      maxBytes: AGENTS_MD_LIMIT_BYTES * 4,
    });
    if (text !== undefined)
      return formatAgentsInstructions([{ file: `${file} (from ${baseRef})`, text }]);
  }
  return formatAgentsInstructions([]);
}

interface PullRequestDetails {
  readonly headSha: string;
  readonly headRef: string;
  readonly baseRef: string;
  readonly title: string;
  readonly body: string;
}

/** A review asked for in an issue comment does not know the head yet: ask GitHub. */
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
  };
}

function describeAbort(reason: unknown): string {
  return reason instanceof Error ? reason.message : 'The job was stopped.';
}
