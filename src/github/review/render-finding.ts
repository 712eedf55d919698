import { fitGitHubText, MAX_BODY_CHARS } from '../limits.js';
import { defuse } from '../render-progress.js';
import { codeSpan, defuseMarkdown, fencedBlock } from './markdown.js';
import type { PublishableFinding } from './types.js';

/** A suggestion longer than this is left out rather than risk cutting it (a cut suggestion is wrong code). */
const MAX_SUGGESTION_CHARS = MAX_BODY_CHARS / 2;

/** `**P1 Off-by-one in page count**`: the title on one line, inert. */
export function findingHeading(finding: PublishableFinding): string {
  return `**${finding.priority} ${defuse(finding.title, 200)}**`;
}

/** `src/a.ts:10-12` (or `src/a.ts:10`), as inline code. */
export function findingLocation(finding: PublishableFinding): string {
  const lines =
    finding.end_line > finding.start_line
      ? `${finding.start_line}-${finding.end_line}`
      : `${finding.start_line}`;
  return codeSpan(`${finding.path}:${lines}`);
}

/**
 * The suggestion, if the caller verified it: a ```suggestion block when the comment sits on
 * exactly the finding's lines (GitHub replaces the commented lines with it), otherwise a
 * plain block that says which lines it is for, so applying it cannot hit the wrong lines.
 */
export function suggestionPart(finding: PublishableFinding, onFindingLines: boolean): string {
  if (!finding.verifiedSuggestion || finding.suggestion === null) return '';
  if (finding.suggestion.length > MAX_SUGGESTION_CHARS) {
    return '\n\n_The suggested change is too long to post._';
  }
  if (onFindingLines) return `\n\n${fencedBlock(finding.suggestion, 'suggestion')}`;
  return `\n\nSuggested replacement for ${findingLocation(finding)}:\n\n${fencedBlock(finding.suggestion)}`;
}

/**
 * An inline comment's body: heading, explanation, suggestion, and the hidden marker last.
 * Only the explanation is cut when the whole would pass GitHub's limit.
 */
export function renderCommentBody(
  finding: PublishableFinding,
  marker: string,
  onFindingLines: boolean,
): string {
  const tail = `${suggestionPart(finding, onFindingLines)}\n\n${marker}`;
  const head = `${findingHeading(finding)}\n\n${defuseMarkdown(finding.explanation)}`;
  return fitGitHubText(head, MAX_BODY_CHARS - tail.length) + tail;
}
