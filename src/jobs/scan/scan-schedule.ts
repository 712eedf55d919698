import { CronExpressionParser } from 'cron-parser';
import type { DeliveryJob, RepoRef } from '../job.js';
import { CONFIGURED_SCHEDULE_EVENT } from '../route-input.js';

/** A repository and its `scan.schedule`. */
export interface ScheduledRepository {
  readonly repo: RepoRef;
  /** "refs/heads/main": what the scan covers. */
  readonly defaultBranch: string;
  readonly schedule: string;
}

/**
 * The start of the schedule's period that `now` is in: its latest firing at or before
 * `now` (UTC). A process that was down when the schedule fired still scans once when it
 * comes back within the period; one that was up scans once too.
 */
export function currentPeriod(schedule: string, now: Date): Date {
  // +1 ms: cron-parser's prev() is strictly before its current date.
  const expression = CronExpressionParser.parse(schedule, {
    currentDate: new Date(now.getTime() + 1),
    tz: 'UTC',
  });
  return expression.prev().toDate();
}

/**
 * The queue entry that fires one repository's scan for one period. Its delivery id is
 * (repository, period): the store is idempotent on delivery ids, so however often the
 * timer ticks, in however many processes or after however many restarts, the period's
 * scan is enqueued once. It is a delivery like a webhook: the worker reads the
 * repository's config when it runs and routes it (a schedule removed since is ignored).
 */
function scheduledScanDelivery(
  target: ScheduledRepository,
  period: Date,
): { readonly deliveryId: string; readonly job: DeliveryJob } {
  const { owner, repo, installationId } = target.repo;
  return {
    deliveryId: `scan-schedule:${owner}/${repo}:${period.toISOString()}`.toLowerCase(),
    job: {
      kind: 'delivery',
      repo: target.repo,
      eventName: CONFIGURED_SCHEDULE_EVENT,
      payload: {
        ref: target.defaultBranch,
        repository: {
          name: repo,
          full_name: `${owner}/${repo}`,
          owner: { login: owner },
          default_branch: target.defaultBranch.replace(/^refs\/heads\//, ''),
        },
        ...(installationId === undefined ? {} : { installation: { id: installationId } }),
      },
    },
  };
}

export interface FireResult {
  /** Delivery ids enqueued now. */
  readonly fired: readonly string[];
  /** Already enqueued for this period (by an earlier tick, process or replica). */
  readonly alreadyFired: readonly string[];
  /** Repositories whose schedule could not be read, and why. */
  readonly problems: readonly string[];
}

/** One tick of the scan timer: each scheduled repository's current period, enqueued once. */
export async function fireScheduledScans(options: {
  readonly targets: readonly ScheduledRepository[];
  readonly submit: (input: {
    readonly deliveryId: string;
    readonly job: DeliveryJob;
  }) => Promise<{ readonly duplicate: boolean }>;
  readonly now: () => Date;
}): Promise<FireResult> {
  const fired: string[] = [];
  const alreadyFired: string[] = [];
  const problems: string[] = [];
  for (const target of options.targets) {
    let period: Date;
    try {
      period = currentPeriod(target.schedule, options.now());
    } catch (error) {
      problems.push(`${target.repo.owner}/${target.repo.repo}: ${String(error)}`);
      continue;
    }
    const input = scheduledScanDelivery(target, period);
    const result = await options.submit(input);
    (result.duplicate ? alreadyFired : fired).push(input.deliveryId);
  }
  return { fired, alreadyFired, problems };
}
