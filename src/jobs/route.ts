/**
 * The one routing table: (event, payload, repo config) → a Job, or ignored because …, or
 * refused with a short answer. Pure: no network, no clock. The payload fields relied on are
 * validated at the border (route-payloads.ts); everything else in the payload is ignored.
 *
 * - pull_request opened, reopened, ready_for_review, synchronize → review, when review.auto
 *   is on (drafts only with review.drafts). route-pull-request.ts
 * - issue_comment / pull_request_review_comment created → the command in it
 *   (`/patchling …`, `@patchling …`; see parse-command.ts), acknowledged with 👀.
 *   route-comment.ts
 * - issues labeled with fix.label → fix. route-issues.ts
 * - schedule, workflow_dispatch (the Action) → scan. route-scan.ts
 * - CONFIGURED_SCHEDULE_EVENT (the App's timer, for scan.schedule) → scan. route-scan.ts
 * - anything else → ignored, with the reason.
 *
 * Bots (account type `Bot`, never a login suffix) are ignored unless listed in bots.allow,
 * and Patchling's own account always is (route-refs.ts).
 */
import type { RoutedJob, RouteDecision } from './job.js';
import { defaultRepoConfig, formatConfigProblems, REPO_CONFIG_PATH } from './repo-config.js';
import { routeComment } from './route-comment.js';
import { ignore, refuse } from './route-decision.js';
import { CONFIGURED_SCHEDULE_EVENT, type RouteContext, type RouteInput } from './route-input.js';
import { routeIssues } from './route-issues.js';
import { actionOf } from './route-payloads.js';
import { routePullRequest } from './route-pull-request.js';
import { routeScan } from './route-scan.js';

export function routeEvent(input: RouteInput): RouteDecision {
  const invalid = 'problems' in input.config ? input.config.problems : undefined;
  // With an invalid file, decide as if by default only to know whether, and where, to answer.
  const config = 'problems' in input.config ? defaultRepoConfig() : input.config;
  const decision = routeWithConfig({ input, config });
  if (invalid === undefined || decision.action !== 'run') return decision;
  return refuseForInvalidConfig(decision.job, invalid, input);
}

function routeWithConfig(ctx: RouteContext): RouteDecision {
  const { name, payload } = ctx.input;
  switch (name) {
    case 'pull_request':
      return withAction(name, payload, (action) => routePullRequest(ctx, action));
    case 'issue_comment':
    case 'pull_request_review_comment':
      return withAction(name, payload, (action) => routeComment(ctx, name, action));
    case 'issues':
      return withAction(name, payload, (action) => routeIssues(ctx, action));
    case 'schedule':
    case 'workflow_dispatch':
    case CONFIGURED_SCHEDULE_EVENT:
      return routeScan(ctx, name);
    default:
      return ignore(`Patchling does not handle ${name} events`);
  }
}

function refuseForInvalidConfig(
  job: RoutedJob,
  problems: readonly string[],
  input: RouteInput,
): RouteDecision {
  const quiet = ignore(`${REPO_CONFIG_PATH} is invalid: ${problems.join('; ')}`);
  if (job.kind === 'scan') return quiet;
  if (job.kind === 'review' && job.trigger === 'pull_request') {
    // One answer when the pull request opens, not one per push.
    return actionOf(input.payload) === 'synchronize'
      ? quiet
      : refuse(job.repo, job.pullNumber, formatConfigProblems(problems));
  }
  const number = job.kind === 'review' ? job.pullNumber : job.issueNumber;
  return refuse(job.repo, number, `@${job.requester.login}, ${formatConfigProblems(problems)}`);
}

function withAction(
  name: string,
  payload: unknown,
  route: (action: string) => RouteDecision,
): RouteDecision {
  const action = actionOf(payload);
  return action === undefined ? ignore(`the ${name} payload has no action`) : route(action);
}
