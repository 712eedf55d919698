import type { DiffFile, Hunk } from './diff-types.js';
import { hunkAtNewLine } from './line-maps.js';

export type CommentableRange =
  | { readonly ok: true; readonly startLine: number; readonly line: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether a finding on new-side lines startLine..endLine of `path` can be an inline review
 * comment, by GitHub's rules for side RIGHT: every line must appear in the diff (added or
 * context) and a multi-line range must lie within one hunk. The range is never moved to
 * another line: a finding that does not fit belongs in the review's body, with the reason.
 * `line` is what GitHub calls the last line; leave `start_line` out when it equals `line`.
 */
export function commentableRange(
  files: readonly DiffFile[],
  path: string,
  startLine: number,
  endLine: number,
): CommentableRange {
  const where = startLine === endLine ? `line ${endLine}` : `lines ${startLine}-${endLine}`;
  if (!Number.isInteger(startLine) || !Number.isInteger(endLine) || startLine < 1) {
    return fail(`${where} of ${path}: not whole line numbers from 1`);
  }
  if (startLine > endLine) return fail(`${where} of ${path}: the range ends before it starts`);
  const entries = files.filter((file) => file.path === path);
  if (entries.length === 0) return fail(`${path} is not in the diff`);
  const withNewSide = entries.filter((file) => file.status !== 'deleted');
  if (withNewSide.length === 0) return fail(`${path} is deleted by the change`);
  if (withNewSide.every((file) => file.binary)) return fail(`${path} is a binary file`);
  // A file split into parts (planReviewBatches) has its hunks spread over several entries.
  const hunks = withNewSide.flatMap((file) => file.hunks);
  if (hunks.length === 0) return fail(`${path} has no changed lines (${describe(withNewSide)})`);
  const startHunk = hunkAtNewLine(hunks, startLine);
  const endHunk = hunkAtNewLine(hunks, endLine);
  if (startHunk === undefined || endHunk === undefined) {
    if (startLine === endLine) return fail(`${where} of ${path} is outside the diff`);
    const outside = startHunk === undefined ? startLine : endLine;
    return fail(`${where} of ${path}: line ${outside} is outside the diff`);
  }
  if (startHunk !== endHunk) {
    return fail(
      `${where} of ${path} span more than one hunk (${newRange(startHunk)} and ${newRange(endHunk)}); ` +
        'a comment must lie within one',
    );
  }
  return { ok: true, startLine, line: endLine };
}

function fail(reason: string): CommentableRange {
  return { ok: false, reason };
}

function newRange(hunk: Hunk): string {
  return `lines ${hunk.newStart}-${hunk.newStart + hunk.newLines - 1}`;
}

function describe(files: readonly DiffFile[]): string {
  const file = files[0];
  if (file?.status === 'renamed') return 'renamed without edits';
  if (file?.status === 'copied') return 'copied without edits';
  if (file?.status === 'added') return 'an empty new file';
  return 'a mode change only';
}
