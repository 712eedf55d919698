import type { RouteDecision } from './job.js';
import { ignore, run } from './route-decision.js';
import type { RouteContext } from './route-input.js';
import { IssuesEvent, parse } from './route-payloads.js';
import { checkActor, repoRef, sameName, toRequester } from './route-refs.js';

/** issues events → a fix, when an open issue gets the fix label (fix.label). */
export function routeIssues(ctx: RouteContext, action: string): RouteDecision {
  if (action !== 'labeled') return ignore(`issues.${action} is not routed`);
  const event = parse(IssuesEvent, ctx.input.payload, 'issues');
  if (!event.ok) return event.decision;
  const { issue, label, sender } = event.data;
  const wanted = ctx.config.fix.label;
  if (!sameName(label.name, wanted)) {
    return ignore(`the label "${label.name}" is not the fix label "${wanted}"`);
  }
  const unwanted = checkActor(ctx, sender, 'label');
  if (unwanted !== undefined) return ignore(unwanted);
  if (issue.pull_request !== undefined && issue.pull_request !== null) {
    return ignore(`#${issue.number} is a pull request; the fix label works on issues`);
  }
  if (issue.state !== 'open') return ignore(`issue #${issue.number} is closed`);
  const repo = repoRef(ctx, event.data);
  const requester = toRequester(sender);
  return run({
    kind: 'fix',
    repo,
    issueNumber: issue.number,
    target: 'issue',
    requester,
    trigger: 'label',
  });
}
