import type { GitHubApi } from '../github/types.js';
import { admitEvent } from './admit-event.js';
import type { DeliveryJob, RoutedJob } from './job.js';

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

/** A stored webhook in the App: admitted (admit-event.ts), then its job queued. */
export async function handleDelivery(
  delivery: DeliveryJob,
  deliveryId: string,
  deps: DeliveryDeps,
): Promise<DeliveryOutcome> {
  const admission = await admitEvent({
    github: deps.github,
    repo: { owner: delivery.repo.owner, repo: delivery.repo.repo },
    eventName: delivery.eventName,
    payload: delivery.payload,
    botLogin: deps.botLogin,
    commandName: deps.commandName,
    ...(delivery.repo.installationId !== undefined
      ? { installationId: delivery.repo.installationId }
      : {}),
  });
  if (admission.outcome !== 'admitted') {
    deps.log({ msg: `delivery ${admission.outcome}`, deliveryId, reason: admission.reason });
    return { outcome: admission.outcome, reason: admission.reason };
  }
  const { job } = admission;
  // A redelivery of the webhook maps to the same job id, so it never runs twice.
  await deps.submit({ deliveryId: `${deliveryId}:${job.kind}`, job });
  deps.log({ msg: 'job queued', deliveryId, kind: job.kind });
  return { outcome: 'queued', job };
}
