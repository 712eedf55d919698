import type { EnqueueInput } from '../queue/types.js';
import { supersedeKey, type Job } from './job.js';

/**
 * What the queue needs to know of a Job, as plain data: the queue stores the kind, the
 * supersede key and the fairness group without knowing what a job means. The group is
 * the installation, so one busy installation cannot take every worker.
 */
export function jobEnqueueInput(input: {
  readonly deliveryId: string;
  readonly job: Job;
  readonly maxAttempts?: number;
}): EnqueueInput<Job> {
  const { job } = input;
  const key = supersedeKey(job);
  const installationId = job.repo.installationId;
  return {
    deliveryId: input.deliveryId,
    kind: job.kind,
    payload: job,
    ...(key === undefined ? {} : { supersedeKey: key }),
    ...(installationId === undefined ? {} : { group: `installation:${installationId}` }),
    ...(input.maxAttempts === undefined ? {} : { maxAttempts: input.maxAttempts }),
  };
}
