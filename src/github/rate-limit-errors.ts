import type { Octokit } from '@octokit/rest';
import { GitHubRateLimitError, isGitHubRequestFailure } from './errors.js';

/**
 * After the throttling plugin has given up (too many waits, or a reset too far away), the
 * bare 403/429 becomes a GitHubRateLimitError that says what happened and when to retry.
 */
export function installRateLimitErrors(octokit: Pick<Octokit, 'hook'>): void {
  octokit.hook.error('request', (error, options) => {
    throw toRateLimitError(error, `${options.method} ${options.url}`) ?? error;
  });
}

export function toRateLimitError(
  error: unknown,
  request: string,
  now: number = Date.now(),
): GitHubRateLimitError | undefined {
  if (!isGitHubRequestFailure(error) || (error.status !== 403 && error.status !== 429)) {
    return undefined;
  }
  if (/\bsecondary rate\b/i.test(error.message)) {
    return new GitHubRateLimitError(
      `GitHub's secondary rate limit still refused ${request} after the allowed waits.`,
      { kind: 'secondary', status: error.status, cause: error },
    );
  }
  const headers = error.response?.headers ?? {};
  if (String(headers['x-ratelimit-remaining']) !== '0') return undefined;
  const resetSeconds = Number(headers['x-ratelimit-reset']);
  const resetAt = Number.isFinite(resetSeconds) ? new Date(resetSeconds * 1000) : undefined;
  const when = resetAt
    ? ` It resets at ${resetAt.toISOString()} (in ${Math.max(0, Math.ceil((resetAt.getTime() - now) / 60_000))} min).`
    : '';
  return new GitHubRateLimitError(
    `GitHub's API rate limit is used up, so ${request} failed.${when}`,
    { kind: 'primary', status: error.status, cause: error, ...(resetAt ? { resetAt } : {}) },
  );
}
