import type { RouteDecision } from './job.js';
import { ignore, run } from './route-decision.js';
import type { RouteContext } from './route-input.js';
import { parse, PullRequestEvent } from './route-payloads.js';
import { checkActor, repoRef, reviewOf, toRequester } from './route-refs.js';

/** pull_request events → an automatic review (review.auto; drafts only with review.drafts). */

const REVIEW_ACTIONS: readonly string[] = ['opened', 'reopened', 'ready_for_review', 'synchronize'];

export function routePullRequest(ctx: RouteContext, action: string): RouteDecision {
  if (!REVIEW_ACTIONS.includes(action)) return ignore(`pull_request.${action} is not routed`);
  const event = parse(PullRequestEvent, ctx.input.payload, 'pull_request');
  if (!event.ok) return event.decision;
  const { pull_request: pr, sender } = event.data;
  const unwanted = checkActor(ctx, sender, 'pull request event');
  if (unwanted !== undefined) return ignore(unwanted);
  if (pr.state !== 'open') return ignore(`pull request #${pr.number} is closed`);
  if (!ctx.config.review.auto) return ignore('automatic reviews are off (review.auto: false)');
  if (pr.draft === true && !ctx.config.review.drafts) {
    return ignore(`pull request #${pr.number} is a draft (review.drafts: false)`);
  }
  if (pr.head.repo === null) return ignore(`the head repository of #${pr.number} was deleted`);
  const repo = repoRef(ctx, event.data);
  return run({ ...reviewOf(repo, pr, toRequester(sender)), trigger: 'pull_request' });
}
