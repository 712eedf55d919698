import { FINGERPRINT_PATTERN } from './fingerprint.js';

/**
 * The hidden lines that let a later run read back what Patchling posted. Model-written text
 * never contains `<!--` (see defuseMarkdown), so every marker in a Patchling body is ours;
 * bodies by anyone else are never read.
 */
const SHA_PATTERN = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const REVIEW_MARKER = /<!-- patchling:review sha=([0-9a-f]+) -->\s*$/;
const FINDING_MARKER =
  /<!-- patchling:finding ([0-9a-f]+)(?: path=(\S+?))?(?: kind=([a-z_]{1,30}))?(?: lines=(\d{1,5}))? -->/g;

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
export function findingMarker(
  fingerprint: string,
  path?: string,
  code?: { readonly kind: string; readonly lines: number },
): string {
  const where = path === undefined ? '' : ` path=${encodeURIComponent(path).replace(/-/g, '%2D')}`;
  // A code fingerprint also records what a later run needs to look for the code again.
  const what = code === undefined ? '' : ` kind=${code.kind} lines=${code.lines}`;
  return `<!-- patchling:finding ${fingerprint}${where}${what} -->`;
}

export interface FindingMarker {
  readonly fingerprint: string;
  readonly path?: string;
  readonly kind?: string;
  readonly lines?: number;
}

/** The reviewed commit, from the marker that ends a review body; undefined without one. */
export function parseReviewMarker(body: string | null | undefined): string | undefined {
  const sha = REVIEW_MARKER.exec(body ?? '')?.[1];
  return sha !== undefined && isCommitSha(sha) ? sha : undefined;
}

/** Every well-formed finding marker in a body, in order. */
export function parseFindingMarkers(body: string | null | undefined): FindingMarker[] {
  const markers: FindingMarker[] = [];
  for (const [, fingerprint = '', encoded, kind, lines] of (body ?? '').matchAll(FINDING_MARKER)) {
    if (!FINGERPRINT_PATTERN.test(fingerprint)) continue;
    const path = encoded === undefined ? undefined : decodePath(encoded);
    markers.push({
      fingerprint,
      ...(path === undefined ? {} : { path }),
      ...(kind === undefined || lines === undefined ? {} : { kind, lines: Number(lines) }),
    });
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
