import { utf8Boundary } from './output-collector.js';

export interface TruncatedText {
  readonly text: string;
  readonly truncated: boolean;
  readonly cutLines: number;
  readonly cutBytes: number;
}

/**
 * Fits text into `maxBytes` (UTF-8) for a model: whole lines from the head and the tail,
 * the middle replaced by a line that says how many lines and bytes were cut. A single huge
 * line (minified code) is cut inside the line rather than dropped whole.
 */
export function truncateMiddle(text: string, maxBytes: number): TruncatedText {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false, cutLines: 0, cutBytes: 0 };

  const headBudget = Math.floor(maxBytes / 2);
  const tailBudget = maxBytes - headBudget;

  let headEnd = lastNewlineWithin(bytes, 0, headBudget);
  if (headEnd === -1) headEnd = utf8Boundary(bytes.subarray(0, headBudget), headBudget);
  let tailStart = firstLineStartWithin(bytes, bytes.length - tailBudget);
  if (tailStart === -1) {
    tailStart =
      bytes.length - tailBudget + utf8Boundary(bytes.subarray(bytes.length - tailBudget), 0);
  }
  if (tailStart < headEnd) tailStart = headEnd;

  const middle = bytes.subarray(headEnd, tailStart);
  const cutLines = countNewlines(middle);
  const marker = `[... ${cutLines} lines (${middle.length} bytes) cut ...]`;
  const head = bytes.subarray(0, headEnd).toString('utf8');
  const tail = bytes.subarray(tailStart).toString('utf8');
  return {
    text: `${head}${head.endsWith('\n') || head === '' ? '' : '\n'}${marker}\n${tail}`,
    truncated: true,
    cutLines,
    cutBytes: middle.length,
  };
}

/** Offset just after the last newline in bytes[from, from+budget), or -1. */
function lastNewlineWithin(bytes: Buffer, from: number, budget: number): number {
  const index = bytes.subarray(from, from + budget).lastIndexOf(0x0a);
  return index === -1 ? -1 : from + index + 1;
}

/** Offset of the first line start at or after `from`, or -1 when no newline follows it. */
function firstLineStartWithin(bytes: Buffer, from: number): number {
  if (from <= 0) return 0;
  if (bytes[from - 1] === 0x0a) return from;
  const index = bytes.indexOf(0x0a, from);
  return index === -1 || index + 1 >= bytes.length ? -1 : index + 1;
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (const byte of bytes) if (byte === 0x0a) count++;
  return count;
}
