import { FINGERPRINT_PATTERN } from './fingerprint.js';

/**
 * The hidden lines that let a later run read back what Patchling posted. Model-written text
 * never contains `<!--` (see defuseMarkdown), so every marker in a Patchling body is ours;
 * bodies by anyone else are never read.
 */
const SHA_PATTERN = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const REVIEW_MARKER = /<!-- patchling:review sha=([0-9a-f]+) -->\s*$/;
const FINDING_MARKER = /<!-- patchling:finding ([0-9a-f]+)(?: path=(\S+))? -->/g;

export function isCommitSha(sha: string): boolean {
  return SHA_PATTERN.test(sha);
}

export function reviewMarker(headSha: string): string {
  return `<!-- patchling:review sha=${headSha} -->`;
}

/**
 * `<!-- patchling:finding <fingerprint> -->`. A summary entry also records its path
 * (an inline comment has its own), URL-encoded with `-` too: an inline HTML comment
 * that contains `--` is shown as text by GitHub's markdown, and `>` could close it.
 */
export function findingMarker(fingerprint: string, path?: string): string {
  const where = path === undefined ? '' : ` path=${encodeURIComponent(path).replace(/-/g, '%2D')}`;
  return `<!-- patchling:finding ${fingerprint}${where} -->`;
}

export interface FindingMarker {
  readonly fingerprint: string;
  readonly path?: string;
}

/** The reviewed commit, from the marker that ends a review body; undefined without one. */
export function parseReviewMarker(body: string | null | undefined): string | undefined {
  const sha = REVIEW_MARKER.exec(body ?? '')?.[1];
  return sha !== undefined && isCommitSha(sha) ? sha : undefined;
}

/** Every well-formed finding marker in a body, in order. */
export function parseFindingMarkers(body: string | null | undefined): FindingMarker[] {
  const markers: FindingMarker[] = [];
  for (const [, fingerprint = '', encoded] of (body ?? '').matchAll(FINDING_MARKER)) {
    if (!FINGERPRINT_PATTERN.test(fingerprint)) continue;
    const path = encoded === undefined ? undefined : decodePath(encoded);
    markers.push(path === undefined ? { fingerprint } : { fingerprint, path });
  }
  return markers;
}

function decodePath(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}
