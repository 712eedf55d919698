import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { assertGitDebugOff } from './assert-git-debug-off.js';
import { authHeaderEnv, tokenSpellings } from './auth-header.js';
import { FORCED_GIT_CONFIG, GIT_UNSAFE_ALLOWANCES } from './forced-git-config.js';
import { buildGitEnvironment } from './git-environment.js';
import { toGitFailure } from './git-failure.js';

/**
 * Kill a git process that prints nothing for this long (a stalled network, a lock).
 * Fetch and push run with `--progress`, so a slow but moving transfer keeps it alive.
 */
export const DEFAULT_GIT_STALL_MS = 10 * 60_000;

/** Credentials for one remote, given to the git processes that talk to it. */
export interface GitAuth {
  /** The remote, already checked by parseRemoteUrl. */
  readonly remote: URL;
  readonly token?: string | undefined;
}

export interface GitContext {
  /** The working tree the command runs in. */
  readonly dir: string;
  readonly auth?: GitAuth | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly stallMs?: number | undefined;
  /**
   * The user's global excludes file (`core.excludesFile`), for the CLI on their own
   * checkout: the fixed environment hides their global config, and a file they ignore
   * everywhere (a `.env`) must not count as a change.
   */
  readonly excludesFile?: string | undefined;
}

export interface RunGitOptions {
  /** More environment for this command (identity, temporary index). Never secrets. */
  readonly env?: Readonly<Record<string, string>>;
  /** Sees git's stderr as it arrives, e.g. to notice a server that ignores a filter. */
  readonly onStderr?: (text: string) => void;
}

/**
 * Runs `use` against a simple-git instance made for one step: the forced safety config,
 * a rebuilt environment, the token as a per-process header, the caller's abort signal
 * and a stall timeout. Whatever it throws comes back as a PatchlingError named after
 * `action`, with every spelling of the token redacted.
 */
export async function runGit<T>(
  context: GitContext,
  action: string,
  use: (git: SimpleGit) => Promise<T>,
  options: RunGitOptions = {},
): Promise<T> {
  const token = context.auth?.token;
  const redactor = new SecretRedactor(token ? tokenSpellings(token) : []);
  if (token) assertGitDebugOff(process.env.DEBUG);
  try {
    const env = buildGitEnvironment(process.env, {
      ...(token && context.auth ? authHeaderEnv(context.auth.remote, token) : {}),
      ...options.env,
    });
    const git = simpleGit({
      baseDir: context.dir,
      config: [
        ...FORCED_GIT_CONFIG,
        ...(context.excludesFile ? [`core.excludesFile=${context.excludesFile}`] : []),
      ],
      unsafe: GIT_UNSAFE_ALLOWANCES,
      // Every variable is Patchling's own (see buildGitEnvironment), so all are allowed.
      allowEnvironment: Object.keys(env),
      timeout: { block: context.stallMs ?? DEFAULT_GIT_STALL_MS },
      ...(context.signal ? { abort: context.signal } : {}),
    }).env(env);
    const onStderr = options.onStderr;
    if (onStderr) {
      git.outputHandler((_command, _stdout, stderr) => {
        stderr.on('data', (chunk: Buffer) => onStderr(chunk.toString('utf8')));
      });
    }
    return await use(git);
  } catch (error) {
    throw toGitFailure(error, action, redactor);
  }
}
