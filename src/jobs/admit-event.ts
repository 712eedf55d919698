import { addReaction } from '../github/add-reaction.js';
import { getPermissionLevel } from '../github/get-permission-level.js';
import { postComment } from '../github/post-comment.js';
import type { GitHubApi, GitHubRepo } from '../github/types.js';
import { authorizeJob } from './authorize-job.js';
import type { RoutedJob } from './job.js';
import { loadRepoConfig } from './load-repo-config.js';
import { routeEvent } from './route.js';
import type { RouteInput } from './route-input.js';

export interface AdmitInput {
  readonly github: GitHubApi;
  readonly repo: GitHubRepo;
  readonly eventName: string;
  readonly payload: unknown;
  readonly botLogin: string;
  readonly commandName: string;
  readonly installationId?: number;
  /** The Action's repository and ref, for schedule payloads (see RouteInput). */
  readonly actionRepository?: RouteInput['actionRepository'];
}

export type Admission =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | { readonly outcome: 'refused'; readonly reason: string; readonly job?: RoutedJob }
  | { readonly outcome: 'admitted'; readonly job: RoutedJob };

/**
 * An event, from either trigger, up to the point where it is a job Patchling will run:
 * the repository's config read from the default branch (never a pull request's head),
 * the one routing table, the permission check for jobs that write, a refusal answered in
 * one comment, and a command acknowledged with 👀. The App then queues the job; the
 * Action runs it at once.
 */
export async function admitEvent(input: AdmitInput): Promise<Admission> {
  const { github, repo } = input;
  const parsed = await loadRepoConfig(github, repo);
  const decision = routeEvent({
    name: input.eventName,
    payload: input.payload,
    config: parsed.ok ? parsed.config : { problems: parsed.problems },
    botLogin: input.botLogin,
    commandName: input.commandName,
    ...(input.installationId !== undefined ? { installationId: input.installationId } : {}),
    ...(input.actionRepository ? { actionRepository: input.actionRepository } : {}),
  });

  switch (decision.action) {
    case 'ignore':
      return { outcome: 'ignored', reason: decision.reason };
    case 'refuse':
      await postComment(github, repo, decision.issueNumber, decision.reason);
      return { outcome: 'refused', reason: decision.reason };
    case 'run':
      break;
    default: {
      const unhandled: never = decision;
      throw new Error(`unknown decision ${JSON.stringify(unhandled)}`);
    }
  }

  const { job } = decision;
  const authorization = await authorizeJob(job, (login) => getPermissionLevel(github, repo, login));
  if (!authorization.ok) {
    const issueNumber = issueOf(job);
    if (issueNumber !== undefined)
      await postComment(github, repo, issueNumber, authorization.reason);
    return { outcome: 'refused', reason: authorization.reason, job };
  }
  if (decision.acknowledgeCommentId !== undefined) {
    const on =
      input.eventName === 'pull_request_review_comment' ? 'review_comment' : 'issue_comment';
    await addReaction(github, repo, decision.acknowledgeCommentId, 'eyes', on);
  }
  return { outcome: 'admitted', job };
}

/** Where a refusal is answered: the issue or pull request the job is about. */
function issueOf(job: RoutedJob): number | undefined {
  switch (job.kind) {
    case 'review':
      return job.pullNumber;
    case 'fix':
    case 'help':
      return job.issueNumber;
    case 'scan':
      return job.issueNumber;
    default: {
      const unhandled: never = job;
      throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
    }
  }
}
