import type { RouteDecision } from './job.js';
import { ignore, run } from './route-decision.js';
import { CONFIGURED_SCHEDULE_EVENT, type RouteContext } from './route-input.js';
import { parse, ScanEvent } from './route-payloads.js';
import { checkActor, repoRef, toRequester, withInstallation } from './route-refs.js';

/**
 * schedule, workflow_dispatch (the Action) and the App's configured schedule → a scan. Kept
 * apart because these payloads may name no repository or ref, which the Action's
 * environment then supplies.
 */
export function routeScan(
  ctx: RouteContext,
  name: 'schedule' | 'workflow_dispatch' | typeof CONFIGURED_SCHEDULE_EVENT,
): RouteDecision {
  const event = parse(ScanEvent, ctx.input.payload, name);
  if (!event.ok) return event.decision;
  const { repository } = event.data;
  // A schedule's sender is whoever last touched the workflow, not someone asking now.
  const sender = name === 'schedule' ? undefined : event.data.sender;
  const fallback = ctx.input.actionRepository;
  if (name === CONFIGURED_SCHEDULE_EVENT && ctx.config.scan.schedule === undefined) {
    return ignore('no scan.schedule is configured');
  }
  if (sender !== undefined) {
    const unwanted = checkActor(ctx, sender, name);
    if (unwanted !== undefined) return ignore(unwanted);
  }
  const repo =
    repository !== undefined
      ? repoRef(ctx, { repository, installation: event.data.installation })
      : fallback && withInstallation(fallback, ctx.input.installationId);
  if (repo === undefined) return ignore(`the ${name} payload names no repository`);
  const ref =
    event.data.ref ??
    fallback?.ref ??
    (repository === undefined ? undefined : `refs/heads/${repository.default_branch}`);
  if (ref === undefined) return ignore(`the ${name} payload names no ref`);
  const trigger = name === CONFIGURED_SCHEDULE_EVENT ? 'configured_schedule' : name;
  const requester = sender === undefined ? {} : { requester: toRequester(sender) };
  return run({ kind: 'scan', repo, ref, trigger, ...requester });
}
