import Bottleneck from 'bottleneck';
import type { ThrottlingOptions } from '@octokit/plugin-throttling';

/** One wait GitHub imposed, reported before it starts so a progress comment or log can say it. */
export interface GitHubRateLimitWait {
  /** primary: the hourly quota is spent; secondary: GitHub's abuse limits. */
  readonly kind: 'primary' | 'secondary';
  readonly retryAfterSeconds: number;
  /** The retry about to start after the wait, from 1. */
  readonly attempt: number;
  /** Method and route template, e.g. "POST /repos/{owner}/{repo}/issues/{issue_number}/comments". */
  readonly request: string;
}

export interface GitHubThrottleOptions {
  /** Called before each wait for the primary rate limit. */
  readonly onRateLimit: (wait: GitHubRateLimitWait) => void;
  /** Called before each wait for a secondary rate limit. */
  readonly onSecondaryRateLimit: (wait: GitHubRateLimitWait) => void;
  /** false turns throttling off entirely: rate limits then fail at once. Default true. */
  readonly enabled?: boolean;
  /** Waits for the primary limit per request. Default 1 (wait for the reset, try again). */
  readonly maxRateLimitRetries?: number;
  /** A primary limit that resets later than this fails at once. Default 900 s. */
  readonly maxRateLimitWaitSeconds?: number;
  /** Waits for secondary limits per request; each lasts as long as GitHub says. Default 5. */
  readonly maxSecondaryRateLimitRetries?: number;
  /** Minimum gap between two writes of this client (GitHub asks for 1 s). Default 1000. */
  readonly writeIntervalMs?: number;
}

type Limiters = Record<'global' | 'auth' | 'search' | 'write' | 'notifications', Bottleneck.Group>;

/**
 * The throttling plugin's options, with limiters of this client's own. The plugin keeps its
 * default Bottleneck groups in a module-level object shared by every octokit in the
 * process, so one busy installation would slow all others (and tests would pay its 1 s
 * write gap); passing every group here means those shared groups are never used.
 * `retryAfterBaseMs` is the length of one second of GitHub's retry-after (tiny in tests).
 */
export function throttlingOptions(
  throttle: GitHubThrottleOptions,
  retryAfterBaseMs: number,
): ThrottlingOptions {
  if (throttle.enabled === false) return { enabled: false };
  const maxPrimary = throttle.maxRateLimitRetries ?? 1;
  const maxPrimaryWait = throttle.maxRateLimitWaitSeconds ?? 900;
  const maxSecondary = throttle.maxSecondaryRateLimitRetries ?? 5;
  const writeGap = throttle.writeIntervalMs ?? 1000;
  const limiters: Limiters = {
    global: perClient(new Bottleneck({ maxConcurrent: 10 })),
    auth: perClient(new Bottleneck({ maxConcurrent: 1 })),
    search: perClient(new Bottleneck({ maxConcurrent: 1, minTime: Math.min(writeGap * 2, 2000) })),
    write: perClient(new Bottleneck({ maxConcurrent: 1, minTime: writeGap })),
    notifications: perClient(
      new Bottleneck({ maxConcurrent: 1, minTime: Math.min(writeGap * 3, 3000) }),
    ),
  };
  const options: ThrottlingOptions = {
    retryAfterBaseValue: retryAfterBaseMs,
    fallbackSecondaryRateRetryAfter: 60,
    // The plugin retries when the handler returns true; its type says void.
    onRateLimit: (retryAfter, request, _octokit, retryCount) => {
      if (retryCount >= maxPrimary || retryAfter > maxPrimaryWait) return false;
      report(throttle.onRateLimit, waitOf('primary', retryAfter, retryCount, request));
      return true;
    },
    onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
      if (retryCount >= maxSecondary) return false;
      report(throttle.onSecondaryRateLimit, waitOf('secondary', retryAfter, retryCount, request));
      return true;
    },
  };
  // `global` and `auth` are honoured by the plugin but missing from its types.
  return Object.assign(options, limiters);
}

function waitOf(
  kind: GitHubRateLimitWait['kind'],
  retryAfterSeconds: number,
  retryCount: number,
  request: { method: string; url: string },
): GitHubRateLimitWait {
  return {
    kind,
    retryAfterSeconds,
    attempt: retryCount + 1,
    request: `${request.method} ${request.url}`,
  };
}

/** A failing reporter must not turn a wait into a failure. */
function report(callback: (wait: GitHubRateLimitWait) => void, wait: GitHubRateLimitWait): void {
  try {
    callback(wait);
  } catch {
    // Reporting is best effort.
  }
}

/**
 * The plugin only calls `group.key(id).schedule(...)`; a Group of our own would start a
 * cleanup interval per client that is never cleared, so one plain limiter stands in.
 */
function perClient(limiter: Bottleneck): Bottleneck.Group {
  const group: Pick<Bottleneck.Group, 'key'> = { key: () => limiter };
  return group as Bottleneck.Group;
}
