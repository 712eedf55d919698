import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { locateEntry } from './locate-entry.js';
import type { Tool, ToolOutcome } from './types.js';

export interface ReadFileOptions {
  /** Lines returned when the model gives no limit, and the most it may ask for. */
  readonly maxLines?: number;
  /** Characters kept of one line; the rest is replaced by a marker. */
  readonly maxLineChars?: number;
  /** UTF-8 bytes of numbered lines returned by one call. */
  readonly maxOutputBytes?: number;
}

const DEFAULTS = { maxLines: 2000, maxLineChars: 500, maxOutputBytes: 64 * 1024 } as const;
// A NUL byte in the first 8 KiB is how git and grep tell binary from text too.
const BINARY_SNIFF_BYTES = 8192;
const IMAGE_EXTENSION = /\.(png|jpe?g|gif|webp|tiff?|avif|heic)$/i;

const parameters = z.object({
  path: z.string().describe('File to read, relative to the repository root.'),
  offset: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('1-based line number to start at. Default 1.'),
  limit: z.number().int().min(1).optional().describe('How many lines to return at most.'),
});

/**
 * read_file: numbered lines of a text file, `L12: text`. Long lines are cut and the output
 * is capped, and the result always says where to continue, so a model can page through
 * a large file instead of flooding its context.
 */
export function createReadFileTool(options: ReadFileOptions = {}): Tool<typeof parameters> {
  const limits = { ...DEFAULTS, ...options };
  return {
    name: 'read_file',
    description:
      `Read a text file of the repository. Returns lines numbered "L<n>: " (the prefix is not part of the file). ` +
      `Returns up to ${limits.maxLines} lines and ${limits.maxOutputBytes / 1024} KiB per call; use offset and limit to read a large file in parts. ` +
      'For directories use list_dir; for images use view_image.',
    parameters,
    mutating: false,
    run: async (args, context) => {
      const shown = args.path;
      const located = await locateEntry(context.workspace, args.path, 'file', 'read');
      if (!located.ok) return located.outcome;
      const { absolute: file, stats } = located;
      if (stats.isDirectory()) {
        return failure(`${shown} is a directory; use list_dir to see its entries.`);
      }
      // A FIFO or device would block or never end; only regular files are read.
      if (!stats.isFile()) return failure(`${shown} is not a regular file.`);
      if (await looksBinary(file)) {
        const hint = IMAGE_EXTENSION.test(file) ? ' Use view_image to look at an image.' : '';
        return failure(
          `${shown} is a binary file (${stats.size} bytes); read_file shows text only.${hint}`,
        );
      }

      const offset = args.offset ?? 1;
      const maxLines = Math.min(args.limit ?? limits.maxLines, limits.maxLines);
      const page = await readPage(file, offset, maxLines, limits, context.signal);
      return render(shown, offset, page, limits.maxOutputBytes);
    },
  };
}

interface Page {
  readonly lines: readonly string[];
  readonly totalLines: number;
  /** true when the byte cap, not the line limit or the end of the file, stopped the page. */
  readonly hitByteCap: boolean;
}

function render(shown: string, offset: number, page: Page, maxOutputBytes: number): ToolOutcome {
  if (page.totalLines === 0) return { ok: true, output: `${shown} is empty.` };
  if (offset > page.totalLines) {
    return failure(
      `offset ${offset} is past the end of ${shown}, which has ${page.totalLines} lines.`,
    );
  }
  const last = offset + page.lines.length - 1;
  const notes: string[] = [];
  if (offset > 1 || last < page.totalLines) {
    notes.push(`Lines ${offset}-${last} of ${page.totalLines}.`);
  }
  if (page.hitByteCap) notes.unshift(`Output limit of ${maxOutputBytes} bytes reached.`);
  if (last < page.totalLines) notes.push(`To read on, call read_file with offset ${last + 1}.`);
  const body = page.lines.join('\n');
  return { ok: true, output: notes.length === 0 ? body : `${body}\n[${notes.join(' ')}]` };
}

async function looksBinary(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

/**
 * Streams the file once: formats the lines of the page and counts all lines. Only the
 * first bytes of each wanted line are kept, so a megabyte-long minified line costs no
 * more memory than a short one.
 */
async function readPage(
  file: string,
  offset: number,
  maxLines: number,
  limits: Required<ReadFileOptions>,
  signal: AbortSignal,
): Promise<Page> {
  const keepBytes = limits.maxLineChars * 4 + 4; // UTF-8 needs at most 4 bytes a character
  const lines: string[] = [];
  let outputBytes = 0;
  let collecting = true;
  let hitByteCap = false;
  let lineNumber = 1;
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let lineBytes = 0;
  let pendingEmpty = true; // nothing seen since the last newline

  const endLine = () => {
    if (collecting && lineNumber >= offset) {
      const text = formatLine(lineNumber, Buffer.concat(kept), lineBytes, limits.maxLineChars);
      const size = Buffer.byteLength(text) + 1;
      if (lines.length > 0 && outputBytes + size > limits.maxOutputBytes) {
        collecting = false;
        hitByteCap = true;
      } else {
        lines.push(text);
        outputBytes += size;
        if (lines.length >= maxLines) collecting = false;
      }
    }
    lineNumber++;
    kept = [];
    keptBytes = 0;
    lineBytes = 0;
  };
  const addBytes = (bytes: Buffer) => {
    lineBytes += bytes.length;
    if (collecting && lineNumber >= offset && keptBytes < keepBytes) {
      const slice = bytes.subarray(0, keepBytes - keptBytes);
      kept.push(slice);
      keptBytes += slice.length;
    }
  };

  for await (const chunk of createReadStream(file, { signal, highWaterMark: 64 * 1024 })) {
    const buffer = chunk as Buffer;
    let start = 0;
    for (let newline = buffer.indexOf(10); newline !== -1; newline = buffer.indexOf(10, start)) {
      addBytes(buffer.subarray(start, newline));
      endLine();
      start = newline + 1;
    }
    if (start < buffer.length) {
      addBytes(buffer.subarray(start));
      pendingEmpty = false;
    } else {
      pendingEmpty = true;
    }
  }
  // A last line without a trailing newline still counts; a trailing newline adds no line.
  if (!pendingEmpty) endLine();
  return { lines, totalLines: lineNumber - 1, hitByteCap };
}

function formatLine(lineNumber: number, kept: Buffer, lineBytes: number, maxChars: number) {
  let text = kept.toString('utf8');
  if (lineBytes === kept.length && text.endsWith('\r')) text = text.slice(0, -1);
  if (text.length > maxChars || lineBytes > kept.length) {
    // Do not cut a surrogate pair in half.
    let cut = Math.min(maxChars, text.length);
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    text = `${text.slice(0, cut)}… [line truncated; ${lineBytes} bytes in all]`;
  }
  return `L${lineNumber}: ${text}`;
}

function failure(output: string): ToolOutcome {
  return { ok: false, output };
}
