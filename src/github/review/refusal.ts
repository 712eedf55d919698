import { z } from 'zod';
import { isGitHubRequestFailure } from '../errors.js';

const errorData = z.object({
  message: z.string().optional(),
  errors: z.array(z.union([z.string(), z.object({ message: z.string() }).loose()])).optional(),
});

/** true for GitHub's 422 Unprocessable Entity (a comment off the diff, among others). */
export function isUnprocessable(error: unknown): boolean {
  return isGitHubRequestFailure(error) && error.status === 422;
}

/** GitHub's own words for a refusal: its `errors` list if it sent one, else the message. */
export function refusalDetail(error: unknown): string {
  const data = errorData.safeParse(
    typeof error === 'object' && error !== null && 'response' in error
      ? (error as { response?: { data?: unknown } }).response?.data
      : undefined,
  );
  const listed = data.success
    ? (data.data.errors ?? []).map((item) => (typeof item === 'string' ? item : item.message))
    : [];
  if (listed.length > 0) return listed.join('; ');
  if (data.success && data.data.message) return data.data.message;
  return error instanceof Error ? error.message : String(error);
}

/** GitHub allows one pending review per user and PR; creating another (or any review) fails. */
export function isPendingReviewConflict(error: unknown): boolean {
  return isUnprocessable(error) && /pending review/i.test(refusalDetail(error));
}
