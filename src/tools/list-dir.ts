import type { Dirent } from 'node:fs';
import { readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeError } from '../errors.js';
import { locateEntry } from './locate-entry.js';
import type { Tool, ToolOutcome } from './types.js';

export interface ListDirOptions {
  readonly defaultDepth?: number;
  readonly maxDepth?: number;
  readonly defaultLimit?: number;
  readonly maxLimit?: number;
}

const DEFAULTS = { defaultDepth: 2, maxDepth: 5, defaultLimit: 200, maxLimit: 1000 } as const;
// Named but never entered: their contents are huge and rarely what the model wants.
const NOT_DESCENDED: ReadonlySet<string> = new Set(['.git', 'node_modules']);

const parameters = z.object({
  path: z.string().default('.').describe('Directory to list, relative to the repository root.'),
  depth: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('How many levels to list; 1 lists only the entries of the directory itself.'),
  limit: z.number().int().min(1).optional().describe('Maximum number of entries to return.'),
});

interface Entry {
  /** Path relative to the workspace root, POSIX separators. */
  readonly path: string;
  /** Mutable so a directory found unreadable later can say so on its own line. */
  line: string;
}

/**
 * list_dir: the entries under a directory, breadth first so a limit keeps the shallow
 * entries, then printed in tree order with workspace-relative paths the model can pass
 * straight to read_file.
 */
export function createListDirTool(options: ListDirOptions = {}): Tool<typeof parameters> {
  const limits = { ...DEFAULTS, ...options };
  return {
    name: 'list_dir',
    description:
      'List the files and directories under a directory of the repository, with paths relative to the repository root. ' +
      'Directories end with "/", symbolic links show "@ -> target" and are not followed; .git and node_modules are not descended. ' +
      `Depth defaults to ${limits.defaultDepth} (at most ${limits.maxDepth}); at most ${limits.maxLimit} entries.`,
    parameters,
    mutating: false,
    run: async (args, context) => {
      const located = await locateEntry(context.workspace, args.path, 'directory', 'list');
      if (!located.ok) return located.outcome;
      const { absolute: directory, stats } = located;
      if (!stats.isDirectory()) {
        return failure(`${args.path} is a file, not a directory; use read_file to read it.`);
      }

      const root = await realpath(context.workspace);
      const depth = Math.min(args.depth ?? limits.defaultDepth, limits.maxDepth);
      const limit = Math.min(args.limit ?? limits.defaultLimit, limits.maxLimit);
      let listing: Awaited<ReturnType<typeof walk>>;
      try {
        listing = await walk(root, directory, depth, limit, context.signal);
      } catch (error) {
        if (context.signal.aborted) throw error;
        return failure(`Cannot list ${args.path}: ${describeError(error)}`);
      }
      const { entries, truncated } = listing;

      const shown = toPosix(path.relative(root, directory)) || '.';
      if (entries.length === 0) return { ok: true, output: `${shown} is empty.` };
      const lines = entries.sort((a, b) => comparePaths(a.path, b.path)).map((e) => e.line);
      if (truncated) {
        lines.push(
          `[Stopped at ${limit} entries; more exist. List a subdirectory, or pass a larger limit (at most ${limits.maxLimit}).]`,
        );
      }
      return { ok: true, output: lines.join('\n') };
    },
  };
}

async function walk(
  root: string,
  start: string,
  depth: number,
  limit: number,
  signal: AbortSignal,
): Promise<{ entries: Entry[]; truncated: boolean }> {
  const entries: Entry[] = [];
  const queue: { absolute: string; level: number; entry?: Entry }[] = [
    { absolute: start, level: 1 },
  ];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    signal.throwIfAborted();
    let children: Dirent[];
    try {
      children = await readdir(item.absolute, { withFileTypes: true });
    } catch (error) {
      // The listed directory itself must be readable; an unreadable subdirectory is
      // only noted on its line, and the rest is still listed.
      if (item.entry === undefined) throw error;
      item.entry.line += ` (unreadable: ${describeError(error)})`;
      continue;
    }
    children.sort((a, b) => compareStrings(a.name, b.name));
    for (const child of children) {
      if (entries.length >= limit) return { entries, truncated: true };
      const absolute = path.join(item.absolute, child.name);
      const relative = toPosix(path.relative(root, absolute));
      if (child.isSymbolicLink()) {
        const target = await readlink(absolute).catch(() => '?');
        entries.push({ path: relative, line: `${relative}@ -> ${target}` });
      } else if (child.isDirectory()) {
        const skipped = NOT_DESCENDED.has(child.name);
        const entry = { path: relative, line: `${relative}/${skipped ? ' (not listed)' : ''}` };
        entries.push(entry);
        if (!skipped && item.level < depth) queue.push({ absolute, level: item.level + 1, entry });
      } else {
        entries.push({ path: relative, line: relative });
      }
    }
  }
  return { entries, truncated: false };
}

/** Tree order: a directory's entries follow it, siblings sorted by name. */
function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareStrings(left[i] ?? '', right[i] ?? '');
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/** Code-unit order, not locale order: the same listing on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function failure(output: string): ToolOutcome {
  return { ok: false, output };
}
