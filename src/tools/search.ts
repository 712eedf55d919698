import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { CommandResult } from '../sandbox/types.js';
import { resolveWorkspacePath } from '../workspace/resolve-workspace-path.js';
import type { Tool, ToolOutcome } from './types.js';

export interface SearchToolOptions {
  readonly defaultMaxResults?: number;
  readonly maxResults?: number;
  /** Characters kept of one matching line (minified files have huge ones). */
  readonly maxLineChars?: number;
  readonly timeoutMs?: number;
}

const DEFAULTS = {
  defaultMaxResults: 100,
  maxResults: 500,
  maxLineChars: 300,
  timeoutMs: 30_000,
} as const;

const parameters = z.object({
  pattern: z.string().min(1).describe('Extended regular expression (grep -E syntax) to look for.'),
  path: z
    .string()
    .optional()
    .describe('File or directory to search, relative to the repository root. Default: everything.'),
  fixed_strings: z.boolean().optional().describe('Treat the pattern as literal text, not a regex.'),
  case_insensitive: z.boolean().optional().describe('Ignore case.'),
  max_results: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Most matching lines to return. Default 100, at most 500.'),
});

type SearchArgs = z.infer<typeof parameters>;

// git exits 128 on its own failures (not a repository, a .git it cannot read); then plain
// grep does the job. A bad regex fails the same way in both and is reported.
const GIT_UNUSABLE = /not a git repository|dubious ownership|unable to read|index file|bad object/i;
const MATCH_LINE = /^(.+?):(\d+):(.*)$/;

/**
 * search: `git grep` (tracked and untracked files, .gitignore respected) or, outside a git
 * repository, `grep -r`. Both run inside the sandbox: git on the host would obey the
 * repository's own .git/config, and core.fsmonitor there can name a command to run.
 */
export function createSearchTool(options: SearchToolOptions = {}): Tool<typeof parameters> {
  const settings = { ...DEFAULTS, ...options };
  return {
    name: 'search',
    description:
      'Search file contents in the repository (git grep; .gitignore respected, binary files skipped). ' +
      'Returns matching lines as path:line:text. Use it to find definitions, usages and strings.',
    parameters,
    mutating: false,
    async run(args, context) {
      let relative: string | undefined;
      if (args.path !== undefined && args.path !== '' && args.path !== '.') {
        try {
          const target = await resolveWorkspacePath(context.workspace, args.path);
          if ((await lstat(target).catch(() => undefined)) === undefined) {
            return { ok: false, output: `The path ${JSON.stringify(args.path)} does not exist.` };
          }
          // resolveWorkspacePath answers under the workspace's real path.
          relative = path.relative(await realpath(context.workspace), target) || undefined;
        } catch (error) {
          if (error instanceof UserError) return { ok: false, output: error.message };
          throw error;
        }
      }

      const limit = Math.min(args.max_results ?? settings.defaultMaxResults, settings.maxResults);
      const isRepo =
        (await lstat(path.join(context.workspace, '.git')).catch(() => undefined)) !== undefined;
      const run = (argv: string[]): Promise<CommandResult> =>
        context.sandbox.run({
          argv,
          cwd: context.workspace,
          timeoutMs: settings.timeoutMs,
          signal: context.signal,
        });

      let result = isRepo ? await run(gitGrepArgv(args, relative)) : undefined;
      if (result === undefined || (result.exitCode === 128 && GIT_UNUSABLE.test(result.output))) {
        result = await run(grepArgv(args, relative));
      }
      if (result.aborted) context.signal.throwIfAborted();
      return formatMatches(result, limit, settings.maxLineChars, settings.timeoutMs);
    },
  };
}

export const searchTool = createSearchTool();

function gitGrepArgv(args: SearchArgs, relative: string | undefined): string[] {
  return [
    'git',
    // Inside the sandbox already; still, no hook-like config runs and no ownership check
    // trips over uid mapping.
    '-c',
    'core.fsmonitor=false',
    '-c',
    'safe.directory=*',
    '-c',
    'core.quotepath=off',
    '--literal-pathspecs',
    'grep',
    '-n',
    '-I',
    '--no-color',
    '--untracked',
    ...patternFlags(args),
    '--',
    ...(relative === undefined ? [] : [relative]),
  ];
}

function grepArgv(args: SearchArgs, relative: string | undefined): string[] {
  return [
    'grep',
    '-r',
    '-n',
    '-I',
    '--color=never',
    '--exclude-dir=.git',
    // Print the file name even when the path is a single file.
    '-H',
    ...patternFlags(args),
    '--',
    // No operand: grep -r searches "." and prints names without a "./" prefix.
    ...(relative === undefined ? [] : [relative]),
  ];
}

function patternFlags(args: SearchArgs): string[] {
  return [
    args.fixed_strings ? '-F' : '-E',
    ...(args.case_insensitive ? ['-i'] : []),
    // -e: a pattern that starts with "-" is still a pattern.
    '-e',
    args.pattern,
  ];
}

function formatMatches(
  result: CommandResult,
  limit: number,
  maxLineChars: number,
  timeoutMs: number,
): ToolOutcome {
  if (result.timedOut) {
    return {
      ok: false,
      output: `The search timed out after ${timeoutMs} ms; narrow the path or pattern.`,
    };
  }
  const lines = result.output.split('\n').filter((line) => line !== '');
  const matches = lines.filter((line) => MATCH_LINE.test(line));
  if (result.exitCode === 1 && matches.length === 0) return { ok: true, output: 'No matches.' };
  if (matches.length === 0) {
    return {
      ok: false,
      output: `The search failed (exit ${result.exitCode ?? result.signal}):\n${lines.slice(0, 20).join('\n')}`,
    };
  }
  const shown = matches.slice(0, limit).map((line) => cutLine(line, maxLineChars));
  const more = matches.length - shown.length;
  const notes: string[] = [];
  if (more > 0 || result.outputTruncated) {
    notes.push(
      `[Showing ${shown.length} of ${result.outputTruncated ? 'more than ' : ''}${matches.length} matching lines; narrow the pattern or path, or raise max_results.]`,
    );
  }
  return { ok: true, output: [...shown, ...notes].join('\n') };
}

function cutLine(line: string, maxChars: number): string {
  if (line.length <= maxChars) return line;
  return `${line.slice(0, maxChars)} [... ${line.length - maxChars} chars cut]`;
}
