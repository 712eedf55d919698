import type { RepoRef } from '../jobs/job.js';
import type { EnqueueResult } from '../queue/types.js';

/** The events the routing table can turn into jobs; anything else is acknowledged and dropped. */
export const ROUTED_EVENTS = new Set([
  'pull_request',
  'issue_comment',
  'pull_request_review_comment',
  'issues',
]);

/** A delivery whose signature was checked: GitHub's delivery id, event name and parsed body. */
export interface VerifiedDelivery {
  readonly id: string;
  readonly name: string;
  readonly payload: unknown;
}

export interface IntakeDeps {
  /** Stores durably (and wakes the workers); the answer to GitHub waits for it. */
  readonly submit: (input: {
    deliveryId: string;
    job: { kind: 'delivery'; repo: RepoRef; eventName: string; payload: unknown };
  }) => Promise<EnqueueResult>;
  readonly log: (entry: Record<string, unknown>) => void;
}

export type IntakeOutcome =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'stored'; readonly result: EnqueueResult };

/**
 * What happens to a verified delivery: store it, nothing more. The acknowledgement waits
 * for this, so it means "on disk". Routing needs the repository's config, an API call,
 * and happens in a worker (jobs/handle-delivery.ts); only the event name and the
 * repository are looked at here.
 */
export async function intakeDelivery(
  deps: IntakeDeps,
  delivery: VerifiedDelivery,
): Promise<IntakeOutcome> {
  const { id: deliveryId, name } = delivery;
  const ignore = (reason: string): IntakeOutcome => {
    deps.log({ msg: 'webhook ignored', deliveryId, event: name, reason });
    return { kind: 'ignored', reason };
  };
  if (!ROUTED_EVENTS.has(name)) return ignore('not an event Patchling acts on');
  const repo = repoOf(delivery.payload);
  if (!repo) return ignore('no repository in the payload');
  const result = await deps.submit({
    deliveryId,
    job: { kind: 'delivery', repo, eventName: name, payload: delivery.payload },
  });
  deps.log({
    msg: result.duplicate ? 'webhook redelivered, already stored' : 'webhook stored',
    deliveryId,
    event: name,
    job: result.job.id,
  });
  return { kind: 'stored', result };
}

function repoOf(payload: unknown): RepoRef | undefined {
  const p = payload as {
    repository?: { name?: unknown; owner?: { login?: unknown } };
    installation?: { id?: unknown };
  } | null;
  const owner = p?.repository?.owner?.login;
  const repo = p?.repository?.name;
  if (typeof owner !== 'string' || typeof repo !== 'string') return undefined;
  const installationId = p?.installation?.id;
  return { owner, repo, ...(typeof installationId === 'number' ? { installationId } : {}) };
}
