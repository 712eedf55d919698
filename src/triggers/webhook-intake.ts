import type { ApplicationFunction } from 'probot';
import type { RepoRef } from '../jobs/job.js';
import type { EnqueueResult } from '../queue/types.js';

/** The events the routing table can turn into jobs; anything else is acknowledged and dropped. */
export const ROUTED_EVENTS = new Set([
  'pull_request',
  'issue_comment',
  'pull_request_review_comment',
  'issues',
]);

export interface IntakeDeps {
  /** Stores durably, then wakes the workers (queue/submit-job.ts). */
  readonly submit: (input: {
    deliveryId: string;
    job: { kind: 'delivery'; repo: RepoRef; eventName: string; payload: unknown };
  }) => Promise<EnqueueResult>;
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * The webhook handler: store the delivery, nothing more. Probot has already checked the
 * signature (a bad one never reaches here) and answers GitHub when this resolves, so the
 * acknowledgement means "on disk". Routing needs the repository's config, an API call,
 * and happens in a worker (jobs/handle-delivery.ts).
 */
export function webhookIntake(deps: IntakeDeps): ApplicationFunction {
  return (app) => {
    app.onAny(async (context) => {
      const { id: deliveryId, name } = context;
      if (!ROUTED_EVENTS.has(name)) {
        deps.log({
          msg: 'webhook ignored',
          deliveryId,
          event: name,
          reason: 'not an event Patchling acts on',
        });
        return;
      }
      const repo = repoOf(context.payload);
      if (!repo) {
        deps.log({
          msg: 'webhook ignored',
          deliveryId,
          event: name,
          reason: 'no repository in the payload',
        });
        return;
      }
      const result = await deps.submit({
        deliveryId,
        job: { kind: 'delivery', repo, eventName: name, payload: context.payload },
      });
      deps.log({
        msg: result.duplicate ? 'webhook redelivered, already stored' : 'webhook stored',
        deliveryId,
        event: name,
        job: result.job.id,
      });
    });
  };
}

function repoOf(payload: unknown): RepoRef | undefined {
  const p = payload as {
    repository?: { name?: unknown; owner?: { login?: unknown } };
    installation?: { id?: unknown };
  };
  const owner = p.repository?.owner?.login;
  const repo = p.repository?.name;
  if (typeof owner !== 'string' || typeof repo !== 'string') return undefined;
  const installationId = p.installation?.id;
  return { owner, repo, ...(typeof installationId === 'number' ? { installationId } : {}) };
}
