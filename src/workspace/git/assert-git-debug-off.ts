import { SystemError } from '../../errors.js';

// Logger names simple-git 4 uses: `simple-git:<command>`, and per task
// `simple-git:task:<command>:<n>` (this one prints the environment, auth header included)
// and `simple-git:output:<command>:<n>`. One representative per command Patchling runs
// with a token, so that a pattern like `simple-git:task:*` is caught too.
const TOKEN_COMMANDS = [
  'init',
  'remote',
  'fetch',
  'checkout',
  'config',
  'rev-parse',
  'merge-base',
  'diff',
  'push',
  'raw',
];
const SIMPLE_GIT_LOGGERS = [
  ...TOKEN_COMMANDS.flatMap((command) => [
    `simple-git:${command}`,
    `simple-git:task:${command}:1`,
    `simple-git:output:${command}:1`,
  ]),
];

/**
 * simple-git's `debug` output prints each git process's environment, which holds the
 * auth header. Refuses to run git with a token while `DEBUG` would enable it, rather than
 * write the token into a log. `debugEnv` is the value of `DEBUG`, in the `debug` package's
 * syntax: comma- or space-separated patterns with `*`, `-` to exclude.
 */
export function assertGitDebugOff(debugEnv: string | undefined): void {
  if (!debugEnv) return;
  const patterns = debugEnv.split(/[\s,]+/).filter(Boolean);
  const matches = (pattern: string, name: string) =>
    new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*?')}$`).test(name);
  const enabled = SIMPLE_GIT_LOGGERS.some(
    (name) =>
      patterns.some((p) => !p.startsWith('-') && matches(p, name)) &&
      !patterns.some((p) => p.startsWith('-') && matches(p.slice(1), name)),
  );
  if (enabled) {
    throw new SystemError(
      `DEBUG=${debugEnv} turns on simple-git's debug log, which prints the git credentials; exclude it (DEBUG=${debugEnv},-simple-git*) to run git with a token.`,
    );
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
