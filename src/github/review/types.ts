import type { Finding } from '../../jobs/review/finding.js';
import type { GitHubLog } from '../types.js';

/** A finding ready to publish. The caller says whether its suggestion was verified. */
export type PublishableFinding = Finding & {
  readonly verifiedSuggestion: boolean;
  /**
   * The text of lines start_line..end_line at the reviewed commit, when the caller read
   * it: the finding is then fingerprinted by its code, not its title (findingFingerprint).
   */
  readonly code?: string;
};

export type ReviewEvent = 'COMMENT' | 'APPROVE' | 'REQUEST_CHANGES';

/**
 * Where a comment on `path`, lines startLine..endLine (new side), can go: the lines of the
 * diff to anchor it on (the caller may narrow the range into one hunk), or why it cannot.
 */
export type CommentableCheck = (
  path: string,
  startLine: number,
  endLine: number,
) => { ok: true; startLine: number; line: number } | { ok: false; reason: string };

/** One finding Patchling posted on the PR earlier, as read back from GitHub. */
export interface PostedFindingRef {
  readonly path: string;
  /** The inline comment that carries it; absent when it went into a review's summary. */
  readonly commentId?: number;
  /** The review thread, once looked up (GraphQL node id). */
  readonly threadId?: string;
  /** The kind of problem and how many lines it covered (markers of code fingerprints). */
  readonly kind?: string;
  readonly lines?: number;
  /** Where the inline comment sits on the current diff; absent once GitHub calls it outdated. */
  readonly line?: number;
  readonly startLine?: number;
}

/** What Patchling left on the PR before this run. */
export interface PreviousReviewState {
  /** The commit the latest Patchling review covered (its hidden marker). */
  readonly lastReviewedSha?: string;
  /** Fingerprint → every place it was posted (the same issue may sit in several spots). */
  readonly postedFingerprints: ReadonlyMap<string, readonly PostedFindingRef[]>;
  /** Patchling's own reviews whose state is still CHANGES_REQUESTED (not dismissed). */
  readonly changesRequested?: readonly number[];
}

export interface PublishedFinding {
  readonly finding: PublishableFinding;
  readonly fingerprint: string;
  /** The inline comment's id; absent if GitHub's list of the review's comments failed. */
  readonly commentId?: number;
}

export interface SummarizedFinding {
  readonly finding: PublishableFinding;
  readonly fingerprint: string;
  /** Why it is not inline: outside the diff, or GitHub refused the comment. */
  readonly reason: string;
}

export interface PublishReviewResult {
  readonly reviewId: number;
  readonly posted: readonly PublishedFinding[];
  readonly inSummary: readonly SummarizedFinding[];
  readonly skippedAsRepeat: readonly PublishableFinding[];
  /** The fingerprint of every finding of this run, repeats included (for resolveFixedThreads). */
  readonly fingerprints: ReadonlySet<string>;
}

export type ReviewLog = Pick<GitHubLog, 'warn'>;
