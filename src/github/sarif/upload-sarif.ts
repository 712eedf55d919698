import { z } from 'zod';
import { SystemError } from '../../errors.js';
import type { GitHubApi, GitHubRepo } from '../types.js';
import { TOOL_NAME } from './build-sarif.js';

const Accepted = z.object({ id: z.string().min(1) });
const Status = z.object({
  processing_status: z.enum(['pending', 'complete', 'failed']),
  analyses_url: z.string().nullable().optional(),
  errors: z.array(z.string()).nullable().optional(),
});

export interface UploadSarifOptions {
  readonly github: GitHubApi;
  readonly repo: GitHubRepo;
  /** The commit scanned, and the ref it was scanned on ("refs/heads/main"). */
  readonly commitSha: string;
  readonly ref: string;
  /** The gzipped log (fitSarifLimits), redacted before it was compressed. */
  readonly gzipped: Buffer;
  readonly startedAt?: Date | undefined;
  /** Waits between status checks; a test passes a fake. */
  readonly sleep: (ms: number) => Promise<void>;
  /** The first wait; each next one doubles, up to 15 s. Default 1 s. */
  readonly pollIntervalMs?: number | undefined;
  /** Default 20 (about four minutes in all). */
  readonly maxPolls?: number | undefined;
}

export type UploadOutcome =
  | { readonly status: 'complete'; readonly sarifId: string }
  | { readonly status: 'failed'; readonly sarifId: string; readonly errors: readonly string[] }
  | { readonly status: 'pending'; readonly sarifId: string };

/**
 * Uploads a scan's SARIF to code scanning (`POST …/code-scanning/sarifs`, the log gzipped
 * then base64-encoded, as the API requires) and polls its processing status until GitHub
 * has processed it, rejected it (with its errors), or the polls run out (still pending:
 * said, not waited for forever).
 */
export async function uploadSarif(options: UploadSarifOptions): Promise<UploadOutcome> {
  const response = await options.github.request('POST /repos/{owner}/{repo}/code-scanning/sarifs', {
    owner: options.repo.owner,
    repo: options.repo.repo,
    commit_sha: options.commitSha,
    ref: options.ref,
    sarif: options.gzipped.toString('base64'),
    tool_name: TOOL_NAME,
    ...(options.startedAt ? { started_at: options.startedAt.toISOString() } : {}),
  });
  const accepted = Accepted.safeParse(response.data);
  if (!accepted.success) throw new SystemError('GitHub accepted the SARIF upload without an id');
  const sarifId = accepted.data.id;
  const polls = options.maxPolls ?? 20;
  let wait = options.pollIntervalMs ?? 1_000;
  for (let poll = 0; poll < polls; poll++) {
    await options.sleep(wait);
    wait = Math.min(wait * 2, 15_000);
    const status = await options.github.request(
      'GET /repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}',
      {
        owner: options.repo.owner,
        repo: options.repo.repo,
        sarif_id: sarifId,
      },
    );
    const parsed = Status.safeParse(status.data);
    if (!parsed.success)
      throw new SystemError('GitHub answered the SARIF status without a processing_status');
    if (parsed.data.processing_status === 'complete') return { status: 'complete', sarifId };
    if (parsed.data.processing_status === 'failed') {
      return { status: 'failed', sarifId, errors: parsed.data.errors ?? [] };
    }
  }
  return { status: 'pending', sarifId };
}
