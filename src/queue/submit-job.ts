import { JobSuperseded } from './errors.js';
import type { EnqueueInput, EnqueueResult, JobStore } from './types.js';
import type { JobWorkerPool } from './worker-pool.js';

/**
 * What a trigger does with a routed job: store it durably (acknowledge only after this
 * resolves), abort the older running jobs it supersedes in this process, and wake the
 * pool. A redelivery changes nothing. Older jobs running in another process learn they
 * were superseded at their next heartbeat.
 */
export async function submitJob<P>(
  store: Pick<JobStore<P>, 'enqueue'>,
  pool: Pick<JobWorkerPool<P>, 'abort' | 'notify'>,
  input: EnqueueInput<P>,
): Promise<EnqueueResult<P>> {
  const result = await store.enqueue(input);
  if (result.duplicate) return result;
  for (const id of result.supersededRunning) pool.abort(id, new JobSuperseded(result.job.id));
  pool.notify();
  return result;
}
