import { z } from 'zod';
import { UserError } from '../errors.js';
import { isNotFound } from './errors.js';
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
