import { codeMarkerFields, findingFingerprint } from './fingerprint.js';
import { findingMarker } from './markers.js';
import { renderCommentBody } from './render-finding.js';
import type {
  CommentableCheck,
  PreviousReviewState,
  PublishableFinding,
  SummarizedFinding,
} from './types.js';

/** One inline comment as the create-review endpoint takes it. */
export interface ReviewCommentInput {
  readonly path: string;
  readonly line: number;
  readonly side: 'RIGHT';
  readonly start_line?: number;
  readonly start_side?: 'RIGHT';
  readonly body: string;
}

export interface PlannedComment {
  readonly finding: PublishableFinding;
  readonly fingerprint: string;
  readonly comment: ReviewCommentInput;
}

export interface ReviewPlan {
  readonly inline: readonly PlannedComment[];
  readonly inSummary: readonly SummarizedFinding[];
  readonly repeats: readonly PublishableFinding[];
  readonly fingerprints: ReadonlySet<string>;
}

/**
 * Sorts the findings: repeats of what Patchling posted before (or twice in this batch, same
 * issue on the same lines) are dropped; the rest go inline where `commentable` finds lines
 * of the diff for them, and into the summary with the reason where it does not.
 */
export function planReview(
  findings: readonly PublishableFinding[],
  commentable: CommentableCheck,
  previous: PreviousReviewState | undefined,
): ReviewPlan {
  const inline: PlannedComment[] = [];
  const inSummary: SummarizedFinding[] = [];
  const repeats: PublishableFinding[] = [];
  const fingerprints = new Set<string>();
  const seen = new Set<string>();
  for (const finding of findings) {
    const fingerprint = findingFingerprint(finding);
    fingerprints.add(fingerprint);
    const spot = `${fingerprint}:${finding.start_line}:${finding.end_line}`;
    if (previous?.postedFingerprints.has(fingerprint) || seen.has(spot)) {
      repeats.push(finding);
      continue;
    }
    // Reworded, or its lines edited since: the same problem if an open thread of the same
    // kind sits on these lines. Not posted again, and that thread stays open.
    const thread = previous === undefined ? undefined : openThreadOn(finding, previous);
    if (thread !== undefined) {
      fingerprints.add(thread);
      repeats.push(finding);
      continue;
    }
    seen.add(spot);
    const anchor = commentable(finding.path, finding.start_line, finding.end_line);
    if (!anchor.ok) {
      inSummary.push({ finding, fingerprint, reason: anchor.reason });
      continue;
    }
    const { startLine, line } = anchor;
    if (!isLine(startLine) || !isLine(line) || startLine > line) {
      inSummary.push({ finding, fingerprint, reason: 'no valid lines of the diff for it' });
      continue;
    }
    const onFindingLines = startLine === finding.start_line && line === finding.end_line;
    const marker = findingMarker(fingerprint, undefined, codeMarkerFields(finding));
    const body = renderCommentBody(finding, marker, onFindingLines);
    const comment: ReviewCommentInput =
      startLine < line
        ? {
            path: finding.path,
            start_line: startLine,
            start_side: 'RIGHT',
            line,
            side: 'RIGHT',
            body,
          }
        : { path: finding.path, line, side: 'RIGHT', body };
    inline.push({ finding, fingerprint, comment });
  }
  return { inline, inSummary, repeats, fingerprints };
}

/**
 * The fingerprint of an inline thread Patchling posted on `finding`'s file, for the same
 * kind of problem, whose lines on the current diff overlap the finding's. Only threads of
 * code fingerprints (they record their kind) and still on the diff (not outdated) count,
 * and only for a named kind.
 */
function openThreadOn(
  finding: PublishableFinding,
  previous: PreviousReviewState,
): string | undefined {
  const kind = finding.kind ?? 'other';
  // "Other" says nothing about the problem: two such findings on one line may differ.
  if (kind === 'other') return undefined;
  for (const [fingerprint, refs] of previous.postedFingerprints) {
    for (const ref of refs) {
      if (ref.path !== finding.path || ref.kind !== kind || ref.line === undefined) continue;
      const start = ref.startLine ?? ref.line;
      if (start <= finding.end_line && ref.line >= finding.start_line) return fingerprint;
    }
  }
  return undefined;
}

function isLine(value: number): boolean {
  return Number.isInteger(value) && value >= 1;
}
