import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Budgets } from '../../agent/run-agent.js';
import { UserError } from '../../errors.js';
import type { ModelSettings } from '../../model/model-config.js';
import type { ProviderName, WireApi } from '../../model/provider-profiles.js';
import { parseDuration } from '../../util/duration.js';
import type { AgentEvent } from '../../agent/events.js';
import { parseRepoConfig, REPO_CONFIG_PATH, type RepoConfig } from '../../jobs/repo-config.js';
import { readWorkspaceFile } from '../../workspace/read-workspace-file.js';
import type { CliConfigFile } from './config-file.js';
import type { CliIo } from './exec-command.js';
import { createProgressRenderer } from './render-progress.js';

const execFileAsync = promisify(execFile);

/** What the commands that run the agent share: which model, and how long it may take. */

export const DEFAULT_MAX_TURNS = 100;
export const DEFAULT_TIMEOUT = '30m';

export interface ModelFlags {
  readonly model?: string;
  readonly api?: WireApi;
  readonly provider?: ProviderName;
  readonly baseUrl?: string;
}

export interface BudgetFlags {
  readonly maxTurns?: number;
  readonly maxTokens?: number;
  readonly timeout?: string;
}

/** Flags first, then the environment (read by resolveModelConfig), then the config file. */
export function modelSettings(
  flags: ModelFlags,
  file: CliConfigFile,
  env: Readonly<Record<string, string | undefined>>,
): ModelSettings {
  const fromFile = <T>(envName: string, value: T | undefined): T | undefined =>
    env[envName] ? undefined : value;
  const provider = flags.provider ?? fromFile('PATCHLING_PROVIDER', file.provider);
  const api = flags.api ?? fromFile('PATCHLING_API', file.api);
  const model = flags.model ?? fromFile('PATCHLING_MODEL', file.model);
  const baseURL = flags.baseUrl ?? fromFile('OPENAI_BASE_URL', file.baseURL);
  const reasoningEffort = fromFile('PATCHLING_REASONING_EFFORT', file.reasoningEffort);
  return {
    ...(provider ? { provider } : {}),
    ...(api ? { api } : {}),
    ...(model ? { model } : {}),
    ...(baseURL ? { baseURL } : {}),
    ...(reasoningEffort ? { reasoningEffort } : {}),
  };
}

export function resolveBudgets(flags: BudgetFlags, file: CliConfigFile): Budgets {
  const timeoutText = flags.timeout ?? file.timeout ?? DEFAULT_TIMEOUT;
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UserError(
      `--timeout must be a duration such as 10m, 90s or 1h; got ${JSON.stringify(timeoutText)}.`,
    );
  }
  return {
    maxTurns: flags.maxTurns ?? file.maxTurns ?? DEFAULT_MAX_TURNS,
    ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}),
    deadlineAt: Date.now() + timeoutMs,
  };
}

/** The nearest directory above `cwd` holding .git (a directory, or a worktree's file); else cwd. */
export function findRepositoryRoot(cwd: string): string {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/**
 * The checkout a command works on: `--cd` (or the current directory) must exist and sit in
 * a git checkout; `workspace` is that checkout's root.
 */
export function locateCheckout(
  ioCwd: string,
  cd: string | undefined,
): {
  cwd: string;
  workspace: string;
} {
  const cwd = path.resolve(ioCwd, cd ?? '.');
  if (!existsSync(cwd)) throw new UserError(`No such directory: ${cwd}`);
  const workspace = findRepositoryRoot(cwd);
  if (!existsSync(path.join(workspace, '.git'))) {
    throw new UserError(`${cwd} is not in a git checkout.`);
  }
  return { cwd, workspace };
}

/**
 * The checkout's own `.github/patchling.yml`: locally the user runs Patchling on their own
 * code. Read through the workspace guard: a symlink to a host file or a FIFO left there is
 * refused with a clear error rather than quoted or waited on.
 */
export async function readCheckoutConfig(workspace: string): Promise<RepoConfig> {
  const parsed = parseRepoConfig(await readWorkspaceFile(workspace, REPO_CONFIG_PATH));
  if (!parsed.ok) {
    throw new UserError(
      `${REPO_CONFIG_PATH} is invalid:\n${parsed.problems.map((p) => `- ${p}`).join('\n')}`,
    );
  }
  return parsed.config;
}

/**
 * Live progress on stderr, a terminal's or a CI log's (plain lines, one per event worth
 * seeing); nothing when the output is JSON.
 */
export function agentProgressDisplay(
  json: boolean,
  io: CliIo,
  redact: (text: string) => string,
): (event: AgentEvent) => void {
  if (json) return () => undefined;
  return createProgressRenderer((text) => io.stderr(redact(text)));
}

/** git as the user runs it, with their own config and environment: this is their checkout. */
export async function runUserGit(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
  args: readonly string[],
): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, {
      cwd: dir,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new UserError(`git ${args[0] ?? ''} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/**
 * The user's global excludes file, as their own git finds it (`core.excludesFile`, else
 * `$XDG_CONFIG_HOME/git/ignore`), or undefined. Patchling's git runs without the user's
 * global config, so this is handed to it explicitly.
 */
export async function userExcludesFile(
  workspace: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const configured = (
    await runUserGit(workspace, env, ['config', '--path', '--get', 'core.excludesFile']).catch(
      () => '',
    )
  ).trim();
  if (configured !== '') return path.resolve(workspace, configured);
  const configHome = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  const fallback = configHome === undefined ? undefined : path.join(configHome, 'git', 'ignore');
  return fallback !== undefined && existsSync(fallback) ? fallback : undefined;
}
