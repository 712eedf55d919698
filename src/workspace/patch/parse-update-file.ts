import { PatchParseError } from './patch-errors.js';
import { CHUNK_HEADER, END_OF_FILE, MOVE_TO } from './patch-markers.js';
import type { ChunkLine, UpdateChunk, UpdateFileHunk } from './patch-types.js';
import { hasMarker, parsePatchPath } from './parse-patch-path.js';
import type { NumberedLine } from './unwrap-patch-text.js';

interface Parsed<T> {
  readonly value: T;
  /** Index of the first line after what was parsed. */
  readonly next: number;
}

/**
 * Parses an `*** Update File:` hunk whose header is `lines[start]`: an optional
 * `*** Move to:`, then chunks until the next `***` line.
 */
export function parseUpdateFile(
  lines: readonly NumberedLine[],
  start: number,
  path: string,
): Parsed<UpdateFileHunk> {
  const header = lines[start];
  if (header === undefined) throw new RangeError('parseUpdateFile: start is past the end');
  let index = start + 1;

  let moveTo: string | undefined;
  const moveLine = lines[index];
  if (moveLine !== undefined && hasMarker(moveLine.text.trim(), MOVE_TO)) {
    moveTo = parsePatchPath(moveLine.text.trim(), MOVE_TO, moveLine);
    index += 1;
  }

  const chunks: UpdateChunk[] = [];
  for (let line = lines[index]; line !== undefined; line = lines[index]) {
    // Blank lines between chunks are skipped, as Codex does; inside a chunk they are
    // empty context lines (parseChunk consumes those).
    if (line.text.trim() === '') {
      index += 1;
      continue;
    }
    if (line.text.startsWith('***')) break;
    const chunk = parseChunk(lines, index, { path, number: chunks.length + 1 });
    chunks.push(chunk.value);
    index = chunk.next;
  }

  if (chunks.length === 0 && moveTo === undefined) {
    throw new PatchParseError(
      `the Update File hunk for '${path}' has no changes; add a chunk: "@@" (optionally followed by a line of the file to find first), then the ' ', '-' and '+' lines.`,
      header.number,
    );
  }
  return { value: { type: 'update', path, moveTo, chunks, line: header.number }, next: index };
}

/**
 * One chunk: any number of `@@` headers, then ' ', '-', '+' and empty lines, optionally
 * closed by `*** End of File`. The first chunk of a hunk may omit `@@` (Codex allows it).
 */
function parseChunk(
  lines: readonly NumberedLine[],
  start: number,
  where: { readonly path: string; readonly number: number },
): Parsed<UpdateChunk> {
  const first = lines[start];
  if (first === undefined) throw new RangeError('parseChunk: start is past the end');
  let index = start;

  // Several `@@` lines narrow down step by step (a class, then a method in it), as
  // OpenAI's description of the format suggests for code repeated within a file.
  const anchors: string[] = [];
  let hasHeader = false;
  for (let line = lines[index]; line !== undefined; line = lines[index]) {
    const anchor = parseChunkHeader(line.text);
    if (anchor === undefined) break;
    hasHeader = true;
    if (anchor !== '') anchors.push(anchor);
    index += 1;
  }
  if (!hasHeader && where.number > 1) {
    // Only reachable after a chunk closed by `*** End of File`: every other unprefixed line
    // is caught below, and ' ', '-', '+' lines would have continued the previous chunk.
    throw new PatchParseError(
      `chunk ${where.number - 1} of the Update File hunk for '${where.path}' ended with "${END_OF_FILE}", so a new chunk must start with "@@"; got ${JSON.stringify(first.text)}.`,
      first.number,
    );
  }

  const chunkLines: ChunkLine[] = [];
  let isEndOfFile = false;
  let count = 0;
  for (let line = lines[index]; line !== undefined; line = lines[index]) {
    const text = line.text;
    if (text.trimEnd() === END_OF_FILE) {
      if (count === 0) break;
      isEndOfFile = true;
      index += 1;
      break;
    }
    const prefix = text[0];
    if (prefix === undefined) {
      // Models often drop the ' ' of an empty context line; Codex reads it as one.
      chunkLines.push({ kind: 'context', text: '' });
    } else if (prefix === ' ' || prefix === '-' || prefix === '+') {
      chunkLines.push({ kind: LINE_KINDS[prefix], text: text.slice(1) });
    } else if (parseChunkHeader(text) !== undefined || text.startsWith('***')) {
      break;
    } else {
      throw new PatchParseError(
        `${JSON.stringify(text)} in chunk ${where.number} of the Update File hunk for '${where.path}' has no prefix; every line of a chunk starts with ' ' (unchanged), '-' (removed) or '+' (added), and a chunk starts with "@@" alone or "@@ " followed by a line of the file.`,
        line.number,
      );
    }
    count += 1;
    index += 1;
  }

  if (count === 0) {
    const at = lines[index] ?? lines[index - 1] ?? first;
    throw new PatchParseError(
      `chunk ${where.number} of the Update File hunk for '${where.path}' has no lines; after "@@" come the ' ', '-' and '+' lines.`,
      at.number,
    );
  }
  return {
    value: { anchors, lines: chunkLines, isEndOfFile, line: first.number },
    next: index,
  };
}

const LINE_KINDS = { ' ': 'context', '-': 'remove', '+': 'add' } as const;

/** undefined when `text` is no chunk header; '' for a bare `@@`; else the anchor line. */
function parseChunkHeader(text: string): string | undefined {
  if (text.trimEnd() === CHUNK_HEADER) return '';
  if (!text.startsWith(`${CHUNK_HEADER} `)) return undefined;
  const anchor = text.slice(CHUNK_HEADER.length + 1);
  return anchor.trim() === '' ? '' : anchor;
}
