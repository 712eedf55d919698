import type { Job as BullJob } from 'bullmq';
import { attemptsOf, type BullJobData, type JobMeta } from './bullmq-job-record.js';
import { isLockError } from './bullmq-redis.js';
import type { ClaimGuard } from './types.js';

export interface Claim<P> {
  readonly token: string;
  readonly job: BullJob<BullJobData<P>>;
}

/**
 * The claims this process holds (BullMQ's worker token per claimed job) and how one ends.
 * Kept apart from the store: the token check is what keeps a worker whose lock was lost
 * from recording an outcome, and it reads best on its own.
 */
export class BullmqClaims<P> {
  private readonly claims = new Map<string, Claim<P>>();

  constructor(private readonly meta: (id: string) => Promise<JobMeta>) {}

  get(id: string): Claim<P> | undefined {
    return this.claims.get(id);
  }

  has(id: string): boolean {
    return this.claims.has(id);
  }

  set(id: string, claim: Claim<P>): void {
    this.claims.set(id, claim);
  }

  guardMatches(claim: Claim<P>, meta: JobMeta, guard: ClaimGuard): boolean {
    return guard.attempt === undefined || attemptsOf(claim.job, meta) === guard.attempt;
  }

  /**
   * Ends this process's claim on `id` with `end` (BullMQ checks the token against the
   * lock). False when the claim is not ours, or the lock was lost (the job was taken over).
   */
  async end(
    id: string,
    guard: ClaimGuard,
    end: (claim: Claim<P>) => Promise<unknown>,
  ): Promise<boolean> {
    const claim = this.claims.get(id);
    if (!claim || !this.guardMatches(claim, await this.meta(id), guard)) return false;
    this.claims.delete(id);
    try {
      await end(claim);
      return true;
    } catch (error) {
      if (isLockError(error)) return false;
      throw error;
    }
  }
}
