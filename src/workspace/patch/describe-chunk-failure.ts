import type { ChunkFailure } from './compute-replacements.js';
import { findClosestMatch, type ClosestMatch } from './find-closest-match.js';
import type { UpdateChunk } from './patch-types.js';

export interface ChunkFailureContext {
  /** Names the hunk, e.g. `hunk 2 (*** Update File: src/app.py, patch line 5)`. */
  readonly hunkLabel: string;
  /** The file as the message names it (workspace-relative). */
  readonly path: string;
  readonly chunks: readonly UpdateChunk[];
  /** The file's lines, without their endings. */
  readonly lines: readonly string[];
  readonly failure: ChunkFailure;
}

/** Most lines quoted from the patch or the file in one message; the model has the rest. */
const MAX_QUOTED_LINES = 30;
const MAX_DIFFERENCES = 5;
const SURROUNDING_LINES = 2;

/**
 * Explains a chunk that did not apply, so the model can fix its patch in one go: which
 * hunk and chunk, the lines it looked for and from where, and the closest place in the
 * file with the lines that differ.
 */
export function describeChunkFailure(context: ChunkFailureContext): string {
  const { failure, path, lines } = context;
  const chunk = context.chunks[failure.chunkIndex];
  if (chunk === undefined) throw new RangeError('describeChunkFailure: no such chunk');
  const heading = `${context.hunkLabel}, ${chunkLabel(chunk, failure.chunkIndex, context.chunks.length)}`;
  const after = failure.searchedFrom > 0 ? ` after line ${failure.searchedFrom}` : '';
  const parts: string[] = [];

  if (failure.missing.kind === 'anchor') {
    const anchor = failure.missing.anchor;
    parts.push(
      `${heading}: the "@@" line ${JSON.stringify(anchor)} was not found in ${path}${after}.`,
    );
    if (failure.foundEarlierAt !== undefined) parts.push(outOfOrder(failure, 'It'));
    if (/^-\d+(,\d+)? \+\d+(,\d+)? @@/.test(anchor.trim())) {
      parts.push(
        'That is a unified-diff line range; in this format "@@" is followed by a line copied from the file (such as a function header), or by nothing.',
      );
    }
    return parts.join('\n');
  }

  const expected = failure.missing.expected;
  const where = chunk.isEndOfFile ? ' at its end (the chunk ends with "*** End of File")' : after;
  const what = expected.length === 1 ? 'this line was' : `these ${expected.length} lines were`;
  parts.push(`${heading}: ${what} not found in ${path}${where}:`, quote(expected));
  if (failure.foundEarlierAt !== undefined) parts.push(outOfOrder(failure, 'They'));

  const closest = findClosestMatch(lines, expected, failure.searchedFrom);
  if (closest !== undefined && failure.foundEarlierAt === undefined) {
    parts.push(describeClosest(closest, expected, lines, path));
  } else if (chunk.isEndOfFile) {
    const tail = Math.max(0, lines.length - expected.length - SURROUNDING_LINES);
    parts.push(`${path} ends with:`, numbered(lines, tail, lines.length));
  }
  parts.push(
    'Copy the lines exactly from the file (re-read it if unsure) and send the corrected patch.',
  );
  return parts.join('\n');
}

function chunkLabel(chunk: UpdateChunk, index: number, count: number): string {
  const anchors = chunk.anchors.map((anchor) => `, "@@ ${anchor}"`).join('');
  return `chunk ${index + 1} of ${count} (patch line ${chunk.line}${anchors})`;
}

function outOfOrder(failure: ChunkFailure, subject: string): string {
  const at = (failure.foundEarlierAt ?? 0) + 1;
  return `${subject} occur${subject === 'It' ? 's' : ''} at line ${at}, above line ${failure.searchedFrom + 1} where the search started (after the previous chunk or "@@" line): chunks must follow the order of the file, each below the one before.`;
}

function describeClosest(
  closest: ClosestMatch,
  expected: readonly string[],
  lines: readonly string[],
  path: string,
): string {
  const first = closest.start + 1;
  const last = Math.min(closest.start + expected.length, lines.length);
  const nonBlank = expected.filter((line) => line.trim() !== '').length;
  const parts = [
    `The closest match is at lines ${first}-${last} of ${path} (${closest.agreeing} of ${nonBlank} non-blank lines agree). Where they differ:`,
  ];
  const differences = expected
    .map((line, offset) => ({ line, offset }))
    .filter(({ offset }) => !closest.agrees[offset]);
  for (const { line, offset } of differences.slice(0, MAX_DIFFERENCES)) {
    const number = closest.start + offset + 1;
    const actual = lines[closest.start + offset];
    parts.push(
      actual === undefined
        ? `  the file ends before line ${number}; the patch expects ${JSON.stringify(line)}`
        : `  line ${number} is ${JSON.stringify(actual)}; the patch expects ${JSON.stringify(line)}`,
    );
  }
  if (differences.length > MAX_DIFFERENCES) {
    parts.push(`  ... and ${differences.length - MAX_DIFFERENCES} more`);
  }
  parts.push(
    `${path} around there:`,
    numbered(lines, closest.start - SURROUNDING_LINES, last + SURROUNDING_LINES),
  );
  return parts.join('\n');
}

/** The lines, indented, cut at MAX_QUOTED_LINES. */
function quote(lines: readonly string[]): string {
  const shown = lines.slice(0, MAX_QUOTED_LINES).map((line) => `  ${line}`);
  if (lines.length > MAX_QUOTED_LINES)
    shown.push(`  ... (${lines.length - MAX_QUOTED_LINES} more)`);
  return shown.join('\n');
}

/** Lines [from, to) of the file (0-based, clamped), each with its 1-based number. */
function numbered(lines: readonly string[], from: number, to: number): string {
  const start = Math.max(0, from);
  const end = Math.min(lines.length, to, start + MAX_QUOTED_LINES);
  const width = String(end).length;
  const shown: string[] = [];
  for (let index = start; index < end; index += 1) {
    shown.push(`  ${String(index + 1).padStart(width)} | ${lines[index] ?? ''}`);
  }
  return shown.length > 0 ? shown.join('\n') : '  (the file is empty)';
}
