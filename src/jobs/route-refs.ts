import type { RepoRef, Requester } from './job.js';
import type { RouteContext } from './route-input.js';
import type { Account, Located, PullRequest } from './route-payloads.js';

/**
 * The parts of a Job read off a payload (repository, requester, the review's refs), and who
 * may trigger one. Kept together because each router builds its job from them, and the
 * case-insensitive name rule they share must not drift between events.
 */

/** Why an account must not trigger anything, or undefined when it may. */
export function checkActor(ctx: RouteContext, account: Account, what: string): string | undefined {
  if (sameName(account.login, ctx.input.botLogin)) return `the ${what} is Patchling's own`;
  // Only GitHub's account type tells a bot: "robot-fan" is a person, and a login ending
  // in "[bot]" proves nothing. The allowlist is an exact (case-insensitive) login match.
  if (account.type === 'Bot' && !ctx.config.bots.allow.some((l) => sameName(l, account.login))) {
    return `${account.login} is a bot not listed in bots.allow`;
  }
  return undefined;
}

/** A review of the head and base the payload shows. */
export function reviewOf(repo: RepoRef, pr: PullRequest, requester: Requester) {
  const headRepo = pr.head.repo?.full_name ?? '';
  return {
    kind: 'review' as const,
    repo,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    baseRef: pr.base.ref,
    headRepo,
    isFork: !sameName(headRepo, pr.base.repo.full_name),
    requester,
  };
}

export function repoRef(ctx: RouteContext, event: Located): RepoRef {
  const ref = { owner: event.repository.owner.login, repo: event.repository.name };
  return withInstallation(ref, ctx.input.installationId ?? event.installation?.id);
}

export function withInstallation(
  ref: { owner: string; repo: string },
  id: number | undefined,
): RepoRef {
  const base = { owner: ref.owner, repo: ref.repo };
  return id === undefined ? base : { ...base, installationId: id };
}

export function toRequester(account: Account): Requester {
  return { login: account.login, type: account.type };
}

/** Logins, labels and repository names are case-insensitive on GitHub. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
