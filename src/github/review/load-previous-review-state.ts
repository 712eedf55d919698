import { z } from 'zod';
import type { GitHubApi, GitHubRepo } from '../types.js';
import { parseFindingMarkers, parseReviewMarker } from './markers.js';
import { readAllPages } from './paginate.js';
import type { PostedFindingRef, PreviousReviewState } from './types.js';

const author = z.object({ login: z.string() }).nullable().optional();
const review = z.object({
  id: z.number(),
  user: author,
  body: z.string().nullable().optional(),
  state: z.string(),
});
const reviewComment = z.object({
  id: z.number(),
  user: author,
  body: z.string().nullable().optional(),
  path: z.string(),
  in_reply_to_id: z.number().optional(),
  // Where the comment sits on the current diff; null once the lines changed (outdated).
  line: z.number().nullable().optional(),
  start_line: z.number().nullable().optional(),
});

export interface LoadPreviousReviewStateOptions {
  readonly octokit: GitHubApi;
  readonly repo: GitHubRepo;
  readonly pullNumber: number;
  /** Patchling's own login, e.g. "patchling[bot]". Only its reviews and comments are read. */
  readonly botLogin: string;
}

/**
 * What Patchling posted on the PR before: the commit its latest submitted review covered,
 * and the fingerprint of every finding it posted (inline comments, and the summary entries
 * of its reviews). Markers in anyone else's reviews or comments are ignored, so nobody can
 * make Patchling skip a commit or a finding by quoting one.
 */
export async function loadPreviousReviewState(
  options: LoadPreviousReviewStateOptions,
): Promise<PreviousReviewState> {
  const { octokit, repo, pullNumber } = options;
  const bot = options.botLogin.toLowerCase();
  const byBot = (user: z.infer<typeof author>) => user?.login.toLowerCase() === bot;
  const params = { owner: repo.owner, repo: repo.repo, pull_number: pullNumber, per_page: 100 };

  const reviews = await readAllPages(async (page) => {
    const response = await octokit.request(
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      { ...params, page },
    );
    return { data: z.array(review).parse(response.data), headers: response.headers };
  });
  const comments = await readAllPages(async (page) => {
    const response = await octokit.request(
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments',
      { ...params, page },
    );
    return { data: z.array(reviewComment).parse(response.data), headers: response.headers };
  });

  const posted = new Map<string, PostedFindingRef[]>();
  const add = (fingerprint: string, ref: PostedFindingRef) => {
    posted.set(fingerprint, [...(posted.get(fingerprint) ?? []), ref]);
  };
  let lastReviewedSha: string | undefined;
  const changesRequested: number[] = [];
  // GitHub lists reviews oldest first: the last marker read is the latest review's.
  for (const item of reviews.filter((r) => byBot(r.user) && r.state !== 'PENDING')) {
    if (item.state === 'CHANGES_REQUESTED') changesRequested.push(item.id);
    lastReviewedSha = parseReviewMarker(item.body) ?? lastReviewedSha;
    for (const marker of parseFindingMarkers(item.body)) {
      if (marker.path === undefined) continue;
      add(marker.fingerprint, {
        path: marker.path,
        ...(marker.kind === undefined ? {} : { kind: marker.kind, lines: marker.lines }),
      });
    }
  }
  for (const item of comments) {
    if (!byBot(item.user) || item.in_reply_to_id !== undefined) continue;
    const marker = parseFindingMarkers(item.body).at(-1);
    if (marker === undefined) continue;
    add(marker.fingerprint, {
      path: item.path,
      commentId: item.id,
      ...(marker.kind === undefined ? {} : { kind: marker.kind, lines: marker.lines }),
      ...(typeof item.line === 'number' ? { line: item.line } : {}),
      ...(typeof item.start_line === 'number' ? { startLine: item.start_line } : {}),
    });
  }
  return {
    ...(lastReviewedSha === undefined ? {} : { lastReviewedSha }),
    postedFingerprints: posted,
    ...(changesRequested.length === 0 ? {} : { changesRequested }),
  };
}
