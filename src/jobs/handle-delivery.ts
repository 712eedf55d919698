import { addReaction } from '../github/add-reaction.js';
import { getPermissionLevel } from '../github/get-permission-level.js';
import { postComment } from '../github/post-comment.js';
import { readRepoFile } from '../github/read-repo-file.js';
import type { GitHubApi } from '../github/types.js';
import { authorizeJob } from './authorize-job.js';
import type { DeliveryJob, RoutedJob } from './job.js';
import { parseRepoConfig, REPO_CONFIG_PATH } from './repo-config.js';
import { routeEvent } from './route.js';

export interface DeliveryDeps {
  readonly github: GitHubApi;
  /** Patchling's own login ("patchling[bot]"), so it never answers itself. */
  readonly botLogin: string;
  /** The word in commands: "/patchling review". */
  readonly commandName: string;
  /** Stores the routed job (idempotent on the delivery id). */
  readonly submit: (input: { deliveryId: string; job: RoutedJob }) => Promise<unknown>;
  readonly log: (entry: Record<string, unknown>) => void;
}

export type DeliveryOutcome =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | { readonly outcome: 'refused'; readonly reason: string }
  | { readonly outcome: 'queued'; readonly job: RoutedJob };

/**
 * A stored webhook, routed: read `.github/patchling.yml` from the default branch (never
 * from a pull request's head), route, check who asked, then acknowledge with 👀 and queue
 * the job, or answer a refusal with one comment.
 */
export async function handleDelivery(
  delivery: DeliveryJob,
  deliveryId: string,
  deps: DeliveryDeps,
): Promise<DeliveryOutcome> {
  const repo = { owner: delivery.repo.owner, repo: delivery.repo.repo };
  // No ref: the contents API then reads the default branch.
  const parsed = parseRepoConfig(await readRepoFile(deps.github, repo, REPO_CONFIG_PATH));
  const decision = routeEvent({
    name: delivery.eventName,
    payload: delivery.payload,
    config: parsed.ok ? parsed.config : { problems: parsed.problems },
    botLogin: deps.botLogin,
    commandName: deps.commandName,
    ...(delivery.repo.installationId !== undefined
      ? { installationId: delivery.repo.installationId }
      : {}),
  });

  switch (decision.action) {
    case 'ignore':
      deps.log({ msg: 'delivery ignored', deliveryId, reason: decision.reason });
      return { outcome: 'ignored', reason: decision.reason };
    case 'refuse':
      await postComment(deps.github, repo, decision.issueNumber, decision.reason);
      deps.log({ msg: 'delivery refused', deliveryId, reason: decision.reason });
      return { outcome: 'refused', reason: decision.reason };
    case 'run': {
      const { job } = decision;
      const authorization = await authorizeJob(job, (login) =>
        getPermissionLevel(deps.github, repo, login),
      );
      const issueNumber = issueOf(job);
      if (!authorization.ok) {
        if (issueNumber !== undefined)
          await postComment(deps.github, repo, issueNumber, authorization.reason);
        deps.log({ msg: 'delivery refused', deliveryId, reason: authorization.reason });
        return { outcome: 'refused', reason: authorization.reason };
      }
      if (decision.acknowledgeCommentId !== undefined) {
        const on =
          delivery.eventName === 'pull_request_review_comment' ? 'review_comment' : 'issue_comment';
        await addReaction(deps.github, repo, decision.acknowledgeCommentId, 'eyes', on);
      }
      // A redelivery of the webhook maps to the same job id, so it never runs twice.
      await deps.submit({ deliveryId: `${deliveryId}:${job.kind}`, job });
      deps.log({ msg: 'job queued', deliveryId, kind: job.kind });
      return { outcome: 'queued', job };
    }
    default: {
      const unhandled: never = decision;
      throw new Error(`unknown decision ${JSON.stringify(unhandled)}`);
    }
  }
}

function issueOf(job: RoutedJob): number | undefined {
  switch (job.kind) {
    case 'review':
      return job.pullNumber;
    case 'fix':
    case 'help':
      return job.issueNumber;
    case 'scan':
      return undefined;
    default: {
      const unhandled: never = job;
      throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
    }
  }
}
