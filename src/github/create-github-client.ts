import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { SecretRedactor } from '../util/redact-secrets.js';
import { fetchWithTimeout } from './fetch-with-timeout.js';
import { installRateLimitErrors } from './rate-limit-errors.js';
import { installRequestRedaction } from './redact-request.js';
import { throttlingOptions, type GitHubThrottleOptions } from './throttle-options.js';
import type { GitHubLog } from './types.js';

/** A token, or an octokit auth strategy with its options (e.g. `createAppAuth` for an App). */
export type GitHubAuth =
  string | { readonly authStrategy: (options: never) => unknown; readonly auth: unknown };

export interface GitHubClientOptions {
  readonly auth: GitHubAuth;
  /** Every string sent in a request body passes through it. */
  readonly redactor: SecretRedactor;
  /** For GitHub Enterprise Server, e.g. https://ghe.example.com/api/v3. */
  readonly baseUrl?: string;
  readonly userAgent?: string;
  readonly throttle: GitHubThrottleOptions;
  /** Retries for 5xx, network errors and timeouts, with backoff 1 s, 4 s, 9 s... Default 3; 0 turns them off. */
  readonly retries?: number;
  /** Per attempt. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** The length of one second of waiting, for retry-after and backoff. Default 1000; tests use 1. */
  readonly retryAfterBaseMs?: number;
  readonly log?: GitHubLog;
}

export type GitHubClient = Octokit;

const PatchlingOctokit = Octokit.plugin(throttling, retry);

/**
 * An octokit for one installation (or one token): throttled, retried, timed out per
 * attempt, redacting, with its own limiters (nothing shared with other clients).
 * Rate limits are handled by throttling alone, so 429 is not also retried by the retry
 * plugin (that would multiply the waits).
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const retryAfterBaseMs = options.retryAfterBaseMs ?? 1000;
  const retries = options.retries ?? 3;
  const octokit = new PatchlingOctokit({
    ...(typeof options.auth === 'string'
      ? { auth: options.auth }
      : { authStrategy: options.auth.authStrategy, auth: options.auth.auth }),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    userAgent: options.userAgent ?? 'patchling',
    ...(options.log ? { log: options.log } : {}),
    request: { fetch: fetchWithTimeout(options.requestTimeoutMs ?? 30_000) },
    throttle: throttlingOptions(options.throttle, retryAfterBaseMs),
    retry: {
      enabled: retries > 0,
      retries,
      retryAfterBaseValue: retryAfterBaseMs,
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
  });
  installRequestRedaction(octokit, options.redactor);
  installRateLimitErrors(octokit);
  return octokit;
}
