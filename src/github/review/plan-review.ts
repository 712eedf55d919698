import { findingFingerprint } from './fingerprint.js';
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
    const body = renderCommentBody(finding, findingMarker(fingerprint), onFindingLines);
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

function isLine(value: number): boolean {
  return Number.isInteger(value) && value >= 1;
}
