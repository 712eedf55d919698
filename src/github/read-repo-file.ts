import { z } from 'zod';
import { UserError } from '../errors.js';
import { isGitHubRequestFailure, isNotFound } from './errors.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export interface ReadRepoFileOptions {
  /** Larger files are refused. Default 1 MiB. */
  readonly maxBytes?: number;
}

const fileResponse = z.object({
  type: z.string(),
  size: z.number(),
  encoding: z.string().optional(),
  content: z.string().optional(),
});

/**
 * A text file at `ref` (a branch, tag or sha; the default branch when absent), through the
 * contents API. undefined when there is no such file; a UserError for a directory, a
 * symlink out of the repository, a file over `maxBytes`, or one that is not UTF-8.
 */
export async function readRepoFile(
  octokit: GitHubApi,
  repo: GitHubRepo,
  path: string,
  ref?: string,
  options: ReadRepoFileOptions = {},
): Promise<string | undefined> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  let raw: unknown;
  try {
    const response = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: repo.owner,
      repo: repo.repo,
      path,
      ...(ref ? { ref } : {}),
    });
    raw = response.data;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  return decodeRepoFile(raw, path, maxBytes);
}

export type ConditionalRepoFile =
  | { readonly status: 'unchanged' }
  | { readonly status: 'read'; readonly text: string | undefined; readonly etag?: string };

/**
 * readRepoFile with a conditional request: given the ETag of an earlier read, GitHub
 * answers 304 Not Modified when the file is unchanged, which does not count against the
 * rate limit. The answer's ETag comes back for the next read. A missing file has no ETag.
 */
export async function readRepoFileIfChanged(
  octokit: GitHubApi,
  repo: GitHubRepo,
  path: string,
  options: ReadRepoFileOptions & { readonly etag?: string | undefined } = {},
): Promise<ConditionalRepoFile> {
  let response;
  try {
    response = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: repo.owner,
      repo: repo.repo,
      path,
      ...(options.etag ? { headers: { 'if-none-match': options.etag } } : {}),
    });
  } catch (error) {
    if (isGitHubRequestFailure(error) && error.status === 304) return { status: 'unchanged' };
    if (isNotFound(error)) return { status: 'read', text: undefined };
    throw error;
  }
  const text = decodeRepoFile(response.data, path, options.maxBytes ?? 1024 * 1024);
  const etag = response.headers.etag;
  return { status: 'read', text, ...(typeof etag === 'string' && etag !== '' ? { etag } : {}) };
}

/** The contents API's answer for one file, as UTF-8 text; a UserError for anything else. */
function decodeRepoFile(raw: unknown, path: string, maxBytes: number): string {
  if (Array.isArray(raw)) throw new UserError(`${path} is a directory, not a file.`);
  const file = fileResponse.parse(raw);
  if (file.type !== 'file') throw new UserError(`${path} is a ${file.type}, not a file.`);
  if (file.size > maxBytes) {
    throw new UserError(`${path} is ${file.size} bytes; the limit is ${maxBytes}.`);
  }
  // Files over 1 MB come with encoding "none" and no content.
  if (file.encoding !== 'base64' || file.content === undefined) {
    throw new UserError(`${path} came without its content (encoding ${String(file.encoding)}).`);
  }
  const bytes = Buffer.from(file.content, 'base64');
  if (bytes.length > maxBytes) {
    throw new UserError(`${path} is ${bytes.length} bytes; the limit is ${maxBytes}.`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new UserError(`${path} is not UTF-8 text.`, { cause: error });
  }
}
