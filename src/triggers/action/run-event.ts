import { describeError } from '../../errors.js';
import { isGitHubRequestFailure } from '../../github/errors.js';
import type { GitHubApi } from '../../github/types.js';
import type { FixJob, ReviewJob, RoutedJob, ScanJob } from '../../jobs/job.js';
import { admitEvent } from '../../jobs/admit-event.js';
import { runAgentJob, type AgentJobDeps } from '../../jobs/run-agent-job.js';
import { runHelp } from '../../jobs/run-help.js';
import type { ActionContext } from './context.js';

/** The `status` output. */
export type ActionStatus =
  'completed' | 'failed' | 'ignored' | 'refused' | 'unavailable' | 'budget_exceeded';

/** The `job` output: what the event became, or none. */
export type ActionJobName = RoutedJob['kind'] | 'none';

export interface ActionOutcome {
  readonly status: ActionStatus;
  readonly job: ActionJobName;
  /** One paragraph, for the `summary` output and the run's annotations. */
  readonly summary: string;
  readonly runId?: string;
}

export interface ActionEventDeps {
  readonly github: GitHubApi;
  readonly context: Pick<ActionContext, 'eventName' | 'payload' | 'repo' | 'ref' | 'jobId'>;
  /** The account the token posts as ("github-actions[bot]" for the workflow token). */
  readonly botLogin: string;
  readonly commandName: string;
  readonly agent: Omit<AgentJobDeps, 'github' | 'onProgressCreated' | 'log'>;
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * One workflow event, end to end, with no queue: the same routing table as the App (the
 * repository's config read from its default branch through the API), the same check of
 * who asked, the 👀 acknowledgement, then the routed job run at once by the same runners
 * (runHelp, runAgentJob). Errors while running a job are its failure; errors before
 * (reading the config, a refused permission lookup) are thrown.
 */
export async function runActionEvent(
  deps: ActionEventDeps,
  signal: AbortSignal,
): Promise<ActionOutcome> {
  const { github, context } = deps;
  const repo = context.repo;
  const admission = await admitEvent({
    github,
    repo,
    eventName: context.eventName,
    payload: context.payload,
    botLogin: deps.botLogin,
    commandName: deps.commandName,
    // A schedule payload holds only the cron string: the workflow's repository and ref fill in.
    ...(context.ref === undefined ? {} : { actionRepository: { ...repo, ref: context.ref } }),
  });
  if (admission.outcome === 'ignored')
    return { status: 'ignored', job: 'none', summary: admission.reason };
  if (admission.outcome === 'refused') {
    return { status: 'refused', job: admission.job?.kind ?? 'none', summary: admission.reason };
  }
  const { job } = admission;
  deps.log({ msg: 'running', job: job.kind, repo: `${repo.owner}/${repo.repo}` });

  try {
    return await runJob(job, deps, signal);
  } catch (error) {
    return { status: 'failed', job: job.kind, summary: explainError(error) };
  }
}

async function runJob(
  job: RoutedJob,
  deps: ActionEventDeps,
  signal: AbortSignal,
): Promise<ActionOutcome> {
  switch (job.kind) {
    case 'help':
      await runHelp(job, deps.github, deps.commandName);
      return {
        status: 'completed',
        job: 'help',
        summary: `Posted the list of commands on #${job.issueNumber}.`,
      };
    case 'review':
    case 'fix':
    case 'scan': {
      const result = await runAgentJob(
        deps.context.jobId,
        job,
        {
          ...deps.agent,
          github: deps.github,
          onProgressCreated: async (progress) => {
            deps.log({ msg: 'progress created', kind: progress.kind, id: progress.id });
          },
          log: deps.log,
        },
        signal,
      );
      const summary =
        result.status === 'unavailable' ? unavailable(job) : summaryOf(job, result.status, result);
      return {
        status: result.status,
        job: job.kind,
        summary,
        ...(result.runId === undefined ? {} : { runId: result.runId }),
      };
    }
    default: {
      const unhandled: never = job;
      throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
    }
  }
}

function unavailable(job: ReviewJob | FixJob | ScanJob): string {
  const what = job.kind === 'scan' ? 'Scanning repositories' : `The ${job.kind} job`;
  return `${what} is not available in this version of Patchling yet.`;
}

function summaryOf(
  job: ReviewJob | FixJob | ScanJob,
  status: ActionStatus,
  final: { readonly message?: string; readonly finalMessage?: string },
): string {
  const what =
    job.kind === 'review'
      ? `the review of #${job.pullNumber}`
      : job.kind === 'fix'
        ? `the fix for #${job.issueNumber}`
        : `the scan of ${job.ref}`;
  if (status === 'completed') {
    const text = final.finalMessage ? oneParagraph(final.finalMessage) : '';
    return `Finished ${what}${text ? `: ${text}` : '.'}`;
  }
  const reason = final.message ? oneParagraph(final.message) : 'see the run log';
  return status === 'budget_exceeded'
    ? `${capitalize(what)} ran out of its budget: ${reason}`
    : `${capitalize(what)} failed: ${reason}`;
}

/**
 * An error as the `summary` output and the `::error::` line say it. A GitHub refusal
 * usually means the job's `permissions:` block lacks a scope, so that is said too.
 */
export function explainError(error: unknown): string {
  const message = oneParagraph(describeError(error));
  if (isGitHubRequestFailure(error) && (error.status === 401 || error.status === 403)) {
    return `${message.replace(/[.\s]*$/, '')} (GitHub answered ${error.status}). Check the github-token input and the job's permissions block; docs/action.md lists what each job needs.`;
  }
  return message;
}

const MAX_SUMMARY_CHARS = 1000;

/** The first paragraph of prose (headings skipped), on one line, capped. */
export function oneParagraph(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .split('\n')
        .filter((line) => !/^\s*#{1,6}\s/.test(line))
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((paragraph) => paragraph !== '');
  const first = paragraphs[0] ?? '';
  return first.length > MAX_SUMMARY_CHARS ? `${first.slice(0, MAX_SUMMARY_CHARS - 1)}…` : first;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
