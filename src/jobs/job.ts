import { createHash } from 'node:crypto';

/**
 * What Patchling does, as data. A trigger (webhook, Action, CLI) turns an outside event
 * into a Job; the queue stores it as JSON; a runner executes it. Every branch on the
 * kind ends in an exhaustive switch, so a new kind cannot be half-handled.
 */

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
  /** The GitHub App installation that may act on it (absent in the Action and the CLI). */
  readonly installationId?: number;
}

/** Who asked. `type` is GitHub's account type: only it tells a bot from a person. */
export interface Requester {
  readonly login: string;
  readonly type: 'User' | 'Bot' | 'Organization';
}

export interface ReviewJob {
  readonly kind: 'review';
  readonly repo: RepoRef;
  readonly pullNumber: number;
  /**
   * The head and base as the event saw them. Absent when the review was asked for in an
   * issue comment (GitHub's `issue_comment` payload does not carry them): the review job
   * then reads the pull request's current head itself.
   */
  readonly headSha?: string;
  readonly headRef?: string;
  readonly baseRef?: string;
  /** owner/name of the repository the head branch lives in. */
  readonly headRepo?: string;
  readonly isFork?: boolean;
  readonly requester: Requester;
  readonly trigger: 'pull_request' | 'comment';
  /** The comment that asked, when one did (for the 👀 reaction and replies). */
  readonly commentId?: number;
  /** Free text after the command, e.g. "/patchling review focus on the parser". */
  readonly instructions?: string;
}

export interface FixJob {
  readonly kind: 'fix';
  readonly repo: RepoRef;
  /** The issue, or the pull request when asked on one. */
  readonly issueNumber: number;
  readonly target: 'issue' | 'pull_request';
  readonly requester: Requester;
  readonly trigger: 'label' | 'comment';
  readonly commentId?: number;
  readonly instructions?: string;
}

export interface ScanJob {
  readonly kind: 'scan';
  readonly repo: RepoRef;
  readonly ref: string;
  readonly trigger: 'schedule' | 'workflow_dispatch' | 'configured_schedule' | 'comment';
  /** `/patchling scan diff`: diff-aware on demand (a command's scan is otherwise full). */
  readonly scope?: 'diff';
  readonly requester?: Requester;
  /** `/patchling scan`: the comment that asked, and the issue or pull request it is on. */
  readonly commentId?: number;
  readonly issueNumber?: number;
}

export interface HelpJob {
  readonly kind: 'help';
  readonly repo: RepoRef;
  readonly issueNumber: number;
  readonly requester: Requester;
  readonly commentId: number;
  /** Why help is shown instead of what was asked, e.g. an unknown command. */
  readonly note?: string;
}

/**
 * A webhook as it arrived, stored before GitHub gets its acknowledgement. Routing needs
 * the repository's config (an API call), too slow to make GitHub wait for, so a worker
 * routes it afterwards and enqueues the job it becomes.
 */
export interface DeliveryJob {
  readonly kind: 'delivery';
  readonly repo: RepoRef;
  /** X-GitHub-Event, e.g. "issue_comment". */
  readonly eventName: string;
  readonly payload: unknown;
}

/** What routing produces: the jobs that do something. */
export type RoutedJob = ReviewJob | FixJob | ScanJob | HelpJob;
export type Job = RoutedJob | DeliveryJob;
export type JobKind = Job['kind'];

/** Jobs that change the repository need write access from whoever asked. */
export function jobWrites(job: Job): boolean {
  switch (job.kind) {
    case 'fix':
      return true;
    case 'scan':
      // Anyone may not spend a repository's model budget on demand.
      return job.trigger === 'comment';
    case 'review':
    case 'help':
    case 'delivery':
      return false;
    default: {
      const unhandled: never = job;
      throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
    }
  }
}

/**
 * Jobs with the same key replace one another: a newer push supersedes a queued or
 * running review of an older head. An explicit `/patchling review` has a key of its own,
 * so a push never turns the full review someone asked for into an incremental one, nor
 * drops its focus text; asking again with the same focus (or none) replaces the earlier
 * request, a different focus is a different request and runs too.
 */
export function supersedeKey(job: Job): string | undefined {
  if (job.kind !== 'review') return undefined;
  const pr = `review:${job.repo.owner}/${job.repo.repo}#${job.pullNumber}`;
  if (job.trigger === 'pull_request') return pr;
  const focus = (job.instructions ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  return focus === ''
    ? `${pr}:request`
    : `${pr}:request:${createHash('sha256').update(focus).digest('hex').slice(0, 12)}`;
}

/** The outcome of routing one event: a job, or why not. */
export type RouteDecision =
  | {
      readonly action: 'run';
      readonly job: RoutedJob;
      /** React 👀 to this comment at once. */
      readonly acknowledgeCommentId?: number;
    }
  | { readonly action: 'ignore'; readonly reason: string }
  /** Not allowed or not possible: answered with one short comment that says why. */
  | {
      readonly action: 'refuse';
      readonly reason: string;
      readonly repo: RepoRef;
      readonly issueNumber: number;
    };
