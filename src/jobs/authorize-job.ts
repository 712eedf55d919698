/**
 * Who may ask for what (security invariant 5): a job that writes to the repository needs
 * write, maintain or admin permission from whoever asked. Jobs that only read and comment
 * run for anyone the routing table let through.
 */
import { jobWrites } from './job.js';
import type { RoutedJob } from './job.js';

export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export type Authorization = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const MAY_WRITE: ReadonlySet<RepoPermission> = new Set(['admin', 'maintain', 'write']);

/**
 * `getPermission` asks GitHub for the requester's permission on the job's repository
 * (`none` for someone who is not a collaborator). Its errors propagate: a failed lookup is
 * a system fault, not a refusal.
 */
export async function authorizeJob(
  job: RoutedJob,
  getPermission: (login: string) => Promise<RepoPermission>,
): Promise<Authorization> {
  if (!jobWrites(job)) return { ok: true };
  const { requester } = job;
  if (requester === undefined) {
    return { ok: false, reason: 'Patchling does not know who asked, so it will not write.' };
  }
  const permission = await getPermission(requester.login);
  if (MAY_WRITE.has(permission)) return { ok: true };
  return {
    ok: false,
    reason: `@${requester.login}, only people with write access can ${whatItWrites(job)}.`,
  };
}

function whatItWrites(job: RoutedJob): string {
  switch (job.kind) {
    case 'fix':
      return job.target === 'issue'
        ? 'ask Patchling to fix issues'
        : 'ask Patchling to push fixes to pull requests';
    case 'scan':
      return 'ask Patchling to scan the repository';
    case 'review':
    case 'help':
      return 'ask Patchling to change the repository';
    default: {
      const unhandled: never = job;
      throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
    }
  }
}
