import { codeMarkerFields } from './fingerprint.js';
import { fitGitHubText, MAX_BODY_CHARS } from '../limits.js';
import { defuse } from '../render-progress.js';
import { codeSpan, defuseMarkdown } from './markdown.js';
import { findingMarker, reviewMarker } from './markers.js';
import { findingHeading, findingLocation, suggestionPart } from './render-finding.js';
import type { SummarizedFinding } from './types.js';

export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

export interface ReviewBodyInput {
  readonly headSha: string;
  /** false: no reviewed-commit marker (a partial review must not count as one). */
  readonly markReviewed?: boolean;
  readonly summary: string;
  readonly reviewedFiles: readonly string[];
  readonly skippedFiles: readonly SkippedFile[];
  readonly inSummary: readonly SummarizedFinding[];
}

/**
 * The review's body: the summary, what was reviewed and skipped, the findings that could
 * not go inline (with their location, the reason, and a marker each), and the reviewed
 * commit's marker last, kept whole when the rest is cut to GitHub's limit.
 */
export function renderReviewBody(input: ReviewBodyInput): string {
  const parts = [defuseMarkdown(input.summary.trim()) || '_No summary._'];
  const count = input.reviewedFiles.length;
  parts.push(`Reviewed ${count} ${count === 1 ? 'file' : 'files'}.`);
  if (input.skippedFiles.length > 0) {
    const lines = input.skippedFiles.map(
      (file) => `- ${codeSpan(file.path)}: ${defuse(file.reason, 300)}`,
    );
    parts.push(`**Skipped files**\n${lines.join('\n')}`);
  }
  if (input.inSummary.length > 0) {
    parts.push(`**Findings outside the diff**\n\n${input.inSummary.map(renderEntry).join('\n\n')}`);
  }
  if (input.markReviewed === false) return fitGitHubText(parts.join('\n\n'), MAX_BODY_CHARS);
  const marker = reviewMarker(input.headSha);
  return `${fitGitHubText(parts.join('\n\n'), MAX_BODY_CHARS - marker.length - 2)}\n\n${marker}`;
}

function renderEntry({ finding, fingerprint, reason }: SummarizedFinding): string {
  const first = `- ${findingHeading(finding)} at ${findingLocation(finding)} (${defuse(reason, 300)}) ${findingMarker(fingerprint, finding.path, codeMarkerFields(finding))}`;
  const rest = `${defuseMarkdown(finding.explanation)}${suggestionPart(finding, false)}`;
  return `${first}\n\n${indent(rest)}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
}
