import type { DiffFile, Hunk } from './diff-types.js';
import { matchIgnorePaths } from './ignore-paths.js';
import { isGeneratedOrVendored } from './is-generated-or-vendored.js';
import { newFileHead } from './line-maps.js';
import { renderFileHeader, renderHunk, renderHunkHeader } from './render-diff.js';

export interface ReviewBatchOptions {
  /** The most estimated tokens of diff text one batch may hold. */
  readonly maxBatchTokens: number;
  /** `review.ignore_paths`: globs of files to skip (see matchIgnorePaths). */
  readonly ignorePaths: readonly string[];
  /**
   * Why a file is generated or vendored, or undefined. Default: isGeneratedOrVendored on
   * its path and on the first lines of the file when the diff shows them.
   */
  readonly isGenerated?: ((file: DiffFile) => string | undefined) | undefined;
}

export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

export interface ReviewBatchPlan {
  /** Each batch's files fit the budget together. A split file appears once per part. */
  readonly batches: DiffFile[][];
  readonly skipped: SkippedFile[];
}

/** A rough token count for diff text: four characters a token. */
export function estimateTokens(text: string): number {
  return tokensFor(text.length);
}

function tokensFor(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * Splits the files of a diff into batches of at most `maxBatchTokens` each (estimated from
 * the rendered diff text), in path order, filled one after the other. Nothing is dropped
 * silently: each file is in a batch or in `skipped` with the reason (ignored by a pattern,
 * generated or vendored, binary). A file too large for a batch of its own is split by
 * hunks into parts, each with the file's header; only a hunk too large on its own is
 * skipped, and then with its `@@` line in the reason.
 */
export function planReviewBatches(
  files: readonly DiffFile[],
  options: ReviewBatchOptions,
): ReviewBatchPlan {
  const budget = options.maxBatchTokens;
  if (!Number.isFinite(budget) || budget <= 0) {
    throw new RangeError(`maxBatchTokens must be a positive number, got ${budget}`);
  }
  const ignoredBy = matchIgnorePaths(options.ignorePaths);
  const isGenerated =
    options.isGenerated ??
    ((file: DiffFile) => isGeneratedOrVendored(file.path, newFileHead(file)));
  const batches: DiffFile[][] = [];
  const skipped: SkippedFile[] = [];
  let current: DiffFile[] = [];
  let currentTokens = 0;
  const add = (part: DiffFile, tokens: number) => {
    if (current.length > 0 && currentTokens + tokens > budget) {
      batches.push(current);
      current = [];
      currentTokens = 0;
    }
    current.push(part);
    currentTokens += tokens;
  };

  for (const file of [...files].sort(byPath)) {
    const reason = skipReason(file, ignoredBy, isGenerated);
    if (reason !== undefined) {
      skipped.push({ path: file.path, reason });
      continue;
    }
    const split = splitToFit(file, budget);
    skipped.push(...split.skipped);
    for (const part of split.parts) add(part.file, part.tokens);
  }
  if (current.length > 0) batches.push(current);
  return { batches, skipped };
}

function skipReason(
  file: DiffFile,
  ignoredBy: (path: string) => string | undefined,
  isGenerated: (file: DiffFile) => string | undefined,
): string | undefined {
  const pattern = ignoredBy(file.path);
  if (pattern !== undefined) return `ignored by config pattern ${JSON.stringify(pattern)}`;
  const generated = isGenerated(file);
  if (generated !== undefined) return generated;
  if (file.binary) return 'binary file';
  return undefined;
}

interface Part {
  readonly file: DiffFile;
  readonly tokens: number;
}

/**
 * The file whole when it fits the budget, else parts of consecutive hunks that each fit.
 * Token counts are of the rendered text, which is the header plus each hunk's text.
 */
function splitToFit(file: DiffFile, budget: number): { parts: Part[]; skipped: SkippedFile[] } {
  const headerLength = renderFileHeader(file).length;
  const hunkLengths = file.hunks.map((hunk) => renderHunk(hunk).length);
  const total = headerLength + hunkLengths.reduce((sum, length) => sum + length, 0);
  if (tokensFor(total) <= budget) {
    return { parts: [{ file, tokens: tokensFor(total) }], skipped: [] };
  }
  const parts: Part[] = [];
  const skipped: SkippedFile[] = [];
  if (file.hunks.length === 0) {
    skipped.push({ path: file.path, reason: tooLarge('its header', total, budget) });
  }
  let hunks: Hunk[] = [];
  let length = headerLength;
  const flush = () => {
    if (hunks.length > 0) parts.push({ file: { ...file, hunks }, tokens: tokensFor(length) });
    hunks = [];
    length = headerLength;
  };
  for (const [index, hunk] of file.hunks.entries()) {
    const hunkLength = hunkLengths[index] ?? 0;
    if (tokensFor(headerLength + hunkLength) > budget) {
      const what = `hunk ${JSON.stringify(renderHunkHeader(hunk))}`;
      skipped.push({ path: file.path, reason: tooLarge(what, headerLength + hunkLength, budget) });
      continue;
    }
    if (tokensFor(length + hunkLength) > budget) flush();
    hunks.push(hunk);
    length += hunkLength;
  }
  flush();
  return { parts, skipped };
}

function tooLarge(what: string, chars: number, budget: number): string {
  return `too large even alone: ${what} is ~${tokensFor(chars)} tokens, over the batch budget of ${budget}`;
}

function byPath(a: DiffFile, b: DiffFile): number {
  if (a.path === b.path) return 0;
  return a.path < b.path ? -1 : 1;
}
