import { oldLinesOf } from './chunk-lines.js';
import type { ChunkLine, UpdateChunk } from './patch-types.js';
import { seekSequence } from './seek-sequence.js';

/**
 * Replace `deleteCount` lines at `start` (indices into the original file) with `lines`:
 * each either a line of the original kept as it is, or new text from the patch.
 */
export interface Replacement {
  readonly start: number;
  readonly deleteCount: number;
  readonly lines: readonly ReplacementLine[];
}

export type ReplacementLine =
  | { readonly kind: 'keep'; readonly index: number }
  | { readonly kind: 'new'; readonly text: string };

/** Why a chunk did not apply; enough for describeChunkFailure to explain it. */
export interface ChunkFailure {
  /** 0-based index of the chunk in its hunk. */
  readonly chunkIndex: number;
  /** An `@@` anchor was not found, or the chunk's old lines were not. */
  readonly missing:
    | { readonly kind: 'anchor'; readonly anchor: string }
    | { readonly kind: 'lines'; readonly expected: readonly string[] };
  /** 0-based line the search started at (where the previous chunk or anchor left off). */
  readonly searchedFrom: number;
  /** 0-based line where it does occur, but before `searchedFrom` (chunks out of order). */
  readonly foundEarlierAt: number | undefined;
}

export type ReplacementsResult =
  | { readonly ok: true; readonly replacements: readonly Replacement[] }
  | { readonly ok: false; readonly failure: ChunkFailure };

/**
 * Locates every chunk in `lines`, in order, each searched from where the previous one
 * ended, as Codex's compute_replacements does. Returns the replacements sorted by position
 * (ties keep chunk order, which applyReplacements relies on).
 *
 * Unlike Codex, a context line keeps the file's own text: when it matched only loosely
 * (other indentation, trailing spaces, straight quotes for curly ones), rewriting it with
 * the patch's version would change a line the model meant to leave alone.
 */
export function computeReplacements(
  lines: readonly string[],
  chunks: readonly UpdateChunk[],
): ReplacementsResult {
  const replacements: Replacement[] = [];
  let cursor = 0;

  for (const [chunkIndex, chunk] of chunks.entries()) {
    for (const anchor of chunk.anchors) {
      const found = seekSequence(lines, [anchor], cursor, false);
      if (found === undefined) {
        const earlier = seekSequence(lines.slice(0, cursor), [anchor], 0, false);
        return failed(chunkIndex, { kind: 'anchor', anchor }, cursor, earlier);
      }
      cursor = found + 1;
    }

    let chunkLines = chunk.lines;
    let pattern = oldLinesOf(chunkLines);
    if (pattern.length === 0) {
      // Nothing to find: insert right after the anchor if there is one. Without an anchor
      // Codex appends at the end of the file, and so do we.
      const at = chunk.anchors.length > 0 && !chunk.isEndOfFile ? cursor : lines.length;
      replacements.push({ start: at, deleteCount: 0, lines: replacementLines(chunkLines, at) });
      continue;
    }

    let found = seekSequence(lines, pattern, cursor, chunk.isEndOfFile);
    if (found === undefined && pattern.at(-1) === '') {
      // A trailing empty line in a chunk usually stands for the file's final newline (or a
      // blank separator the model added), not for a blank line in the file.
      chunkLines = withoutLastOldLine(chunkLines);
      pattern = pattern.slice(0, -1);
      found = seekSequence(lines, pattern, cursor, chunk.isEndOfFile);
    }
    if (found === undefined) {
      const expected = oldLinesOf(chunk.lines);
      const earlier = chunk.isEndOfFile
        ? undefined
        : seekSequence(lines.slice(0, cursor), expected, 0, false);
      return failed(chunkIndex, { kind: 'lines', expected }, cursor, earlier);
    }
    replacements.push({
      start: found,
      deleteCount: pattern.length,
      lines: replacementLines(chunkLines, found),
    });
    cursor = found + pattern.length;
  }

  // Array.prototype.sort is stable: an insertion and a replacement at the same line stay
  // in chunk order.
  return { ok: true, replacements: replacements.sort((a, b) => a.start - b.start) };
}

/** The chunk's new lines, with context lines pointing at the file lines they matched. */
function replacementLines(chunkLines: readonly ChunkLine[], start: number): ReplacementLine[] {
  const result: ReplacementLine[] = [];
  let offset = 0;
  for (const line of chunkLines) {
    if (line.kind === 'context') result.push({ kind: 'keep', index: start + offset });
    if (line.kind === 'add') result.push({ kind: 'new', text: line.text });
    else offset += 1;
  }
  return result;
}

function withoutLastOldLine(chunkLines: readonly ChunkLine[]): ChunkLine[] {
  const result = [...chunkLines];
  const last = result.findLastIndex((line) => line.kind !== 'add');
  if (last >= 0) result.splice(last, 1);
  return result;
}

function failed(
  chunkIndex: number,
  missing: ChunkFailure['missing'],
  searchedFrom: number,
  foundEarlierAt: number | undefined,
): ReplacementsResult {
  return { ok: false, failure: { chunkIndex, missing, searchedFrom, foundEarlierAt } };
}

/**
 * Applies sorted replacements from the last to the first, so earlier indices stay valid;
 * for equal starts the later chunk goes first, which leaves the chunks' lines in order.
 */
export function applyReplacements<T>(
  items: readonly T[],
  replacements: readonly Replacement[],
  make: (text: string) => T,
): T[] {
  const result = [...items];
  for (const replacement of [...replacements].reverse()) {
    const lines = replacement.lines.map((line) => {
      if (line.kind === 'new') return make(line.text);
      const kept = items[line.index];
      if (kept === undefined) throw new RangeError(`no line ${line.index} to keep`);
      return kept;
    });
    result.splice(replacement.start, replacement.deleteCount, ...lines);
  }
  return result;
}
