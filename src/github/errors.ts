import { SystemError } from '../errors.js';

/** The shape of octokit's RequestError that we rely on (duck-typed: no import of a transitive package). */
export interface GitHubRequestFailure {
  readonly status: number;
  readonly message: string;
  readonly response?: { readonly headers: Readonly<Record<string, string | number | undefined>> };
}

export function isGitHubRequestFailure(error: unknown): error is GitHubRequestFailure {
  return (
    error instanceof Error &&
    'status' in error &&
    typeof (error as { status: unknown }).status === 'number'
  );
}

/** true for a 404 from GitHub: the thing is absent, or hidden from this token. */
export function isNotFound(error: unknown): boolean {
  return isGitHubRequestFailure(error) && error.status === 404;
}

/**
 * GitHub kept refusing a request for its rate limit after the waits we allow: the primary
 * limit resets too late, or the secondary limit outlasted our attempts. Retryable later.
 */
export class GitHubRateLimitError extends SystemError {
  readonly kind: 'primary' | 'secondary';
  readonly status: number;
  /** When the primary limit resets, if GitHub said. */
  readonly resetAt: Date | undefined;

  constructor(
    message: string,
    options: {
      kind: 'primary' | 'secondary';
      status: number;
      resetAt?: Date;
      cause: unknown;
    },
  ) {
    super(message, { cause: options.cause, retryable: true });
    this.kind = options.kind;
    this.status = options.status;
    this.resetAt = options.resetAt;
  }
}
