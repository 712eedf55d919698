import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeError } from '../errors.js';
import type { EgressRefusal, ResolveHost } from '../egress/egress-proxy.js';
import { startEgressProxy, refusalText } from '../egress/egress-proxy.js';
import { repositoryAllowlist, type NetworkSettings } from '../egress/network-settings.js';
import type { RepoConfig } from '../jobs/repo-config.js';
import { createSandbox } from '../sandbox/create-sandbox.js';
import { truncateMiddle } from '../sandbox/truncate-middle.js';
import type { CommandResult } from '../sandbox/types.js';
import { SecretRedactor } from '../util/redact-secrets.js';
import { detectSetupCommand } from './detect-setup-command.js';
import { excludeFromGit, listUntracked } from './setup-paths.js';
import { SetupCache, setupCacheKey } from './setup-cache.js';

const runFile = promisify(execFile);

export type SetupSettings = RepoConfig['setup'];

/** Output kept in the outcome (head and tail); the tail shown on failure. */
const OUTPUT_BYTES = 64 * 1024;
const TAIL_LINES = 40;
// Restoring is a local tar extraction; generous for a slow disk.
const RESTORE_TIMEOUT_MS = 10 * 60_000;
/** Directories whose presence says the dependencies are already installed (the Action). */
const INSTALLED_MARKERS = ['node_modules', '.venv', 'venv', 'vendor'];

export interface SetupPhaseOptions {
  /** The checkout (a git working tree). */
  readonly workspace: string;
  /** `setup` of the repository's config, from the default branch or the PR's base. */
  readonly settings: SetupSettings;
  /** The operator's network settings (networkSettingsFromEnv). */
  readonly network: NetworkSettings;
  /** Where the cache lives: `<stateDir>/setup-cache`. */
  readonly stateDir: string;
  /** The repository, as the cache knows it: `github.com/owner/repo`, or a remote URL. */
  readonly cacheScope: string;
  readonly cacheMaxBytes?: number;
  /** Parent variables passed into the sandbox (the config's `sandbox.env`). */
  readonly sandboxEnv?: readonly string[];
  /**
   * The Action: the workflow's own checkout. When the workflow already installed the
   * dependencies there (node_modules, .venv, venv or vendor), they are copied into the
   * workspace as they are and setup does not run.
   */
  readonly installedCheckout?: string;
  /** Values to hide from the output (none should reach it: the sandbox has no secrets). */
  readonly secrets?: readonly string[];
  /** Tests: a resolver for the proxy. */
  readonly resolve?: ResolveHost;
  readonly signal?: AbortSignal;
  /** One line per step, for progress. */
  readonly onProgress?: (line: string) => void;
  readonly onWarning?: (message: string) => void;
}

interface Ran {
  readonly command: string;
  /** `setup.run`, or the lockfiles the command was detected from. */
  readonly source: string;
  readonly durationMs: number;
}

export type SetupOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | (Ran & { readonly status: 'restored'; readonly key: string })
  | (Ran & {
      readonly status: 'installed';
      readonly key: string;
      /** Whether the result went into the cache. */
      readonly cached: boolean;
      readonly output: string;
      readonly refusals: readonly string[];
    })
  | (Ran & {
      readonly status: 'failed';
      readonly exitCode: number | null;
      readonly timedOut: boolean;
      readonly output: string;
      /** The last lines of the output, for a comment or the terminal. */
      readonly tail: string;
      readonly refusals: readonly string[];
      /** `setup.on_failure: stop`: the job must not go on. */
      readonly stop: boolean;
    });

/**
 * The setup phase: installs a checkout's dependencies before the agent runs, the only
 * time a sandboxed command has network, and then only through Patchling's egress proxy
 * to the allowlisted hosts. Same sandbox as the agent (same view, no secrets, same
 * limits). The result (the paths setup created) is cached per repository, keyed by the
 * script and the lockfiles; a hit restores it with no network at all. What setup created
 * is added to `.git/info/exclude`, so it never shows up in a fix's diff.
 *
 * The scan job (or any job) calls it right after preparing its workspace:
 *
 *   const setup = await runSetupPhase({ workspace, settings: config.setup, network,
 *     stateDir, cacheScope: `github.com/${owner}/${repo}`, signal });
 *   if (setup.status === 'failed' && setup.stop) ...stop, quoting setup.tail
 */
export async function runSetupPhase(options: SetupPhaseOptions): Promise<SetupOutcome> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const redactor = new SecretRedactor(options.secrets ?? []);
  const detected =
    options.settings.run !== undefined
      ? { command: options.settings.run, source: 'setup.run' }
      : await detectSetupCommand(options.workspace);
  if (detected === undefined) {
    return { status: 'skipped', reason: 'no setup.run and no lockfile to install from' };
  }
  if (options.installedCheckout !== undefined) {
    const copied = await copyInstalled(options.installedCheckout, options.workspace);
    if (copied.length > 0) {
      await excludeFromGit(options.workspace, copied);
      return {
        status: 'skipped',
        reason: `the workflow already installed the dependencies (${copied.join(', ')}); used as they are`,
      };
    }
  }
  const ran = (): Ran => ({
    command: detected.command,
    source: detected.source,
    durationMs: Math.round(performance.now() - started),
  });

  const before = new Set(await listUntracked(options.workspace, options.signal));
  const key = await setupCacheKey(options.workspace, detected.command);
  const cache = new SetupCache(path.join(options.stateDir, 'setup-cache'), options.cacheMaxBytes);
  if (options.settings.cache) {
    const entry = await cache.lookup(options.cacheScope, key);
    if (entry !== undefined) {
      progress(`Setup: restoring \`${detected.command}\` from the cache`);
      const restored = await restore(options, entry.archive);
      if (restored.exitCode === 0) {
        await excludeFromGit(options.workspace, entry.paths);
        return { status: 'restored', key, ...ran() };
      }
      options.onWarning?.(
        `Setup: the cached result could not be restored (${restored.output.trim().slice(-500)}); running setup.`,
      );
    }
  }

  progress(`Setup: running \`${detected.command}\` (from ${detected.source})`);
  const { entries, dropped } = repositoryAllowlist(options.network, options.settings.network);
  if (dropped.length > 0) {
    options.onWarning?.(
      `Setup: setup.network entries outside the operator's allowlist were ignored: ${dropped.join(', ')}.`,
    );
  }
  const proxy = await startEgressProxy({
    allow: entries,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  let result: CommandResult;
  try {
    const sandbox = await createSandbox({
      workspace: options.workspace,
      policy: 'workspace-write',
      envAllowlist: options.sandboxEnv ?? [],
      egress: { socketPath: proxy.socketPath },
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    try {
      result = await sandbox.run({
        // As GitHub Actions runs a `run:` step: the first failing command fails setup.
        argv: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', detected.command],
        cwd: sandbox.workspace,
        timeoutMs: options.settings.timeout * 1000,
        // Quiet, and no calls home that the allowlist would refuse anyway.
        env: {
          npm_config_audit: 'false',
          npm_config_fund: 'false',
          npm_config_update_notifier: 'false',
          PIP_DISABLE_PIP_VERSION_CHECK: '1',
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } finally {
      await sandbox.close?.();
    }
  } finally {
    await proxy.close();
  }
  options.signal?.throwIfAborted();

  const refusals = proxy
    .decisions()
    .filter((decision): decision is EgressRefusal => !decision.allowed)
    .map((refusal) => refusalText(refusal.host, refusal.port, refusal.reason));
  const uniqueRefusals = [...new Set(refusals)];
  // The proxy says what it refused, in the setup's own output, whatever the tool printed.
  const output = redactor.redact(
    truncateMiddle(
      uniqueRefusals.length === 0
        ? result.output
        : `${result.output.trimEnd()}\n${uniqueRefusals.join('\n')}\n`,
      OUTPUT_BYTES,
    ).text,
  );

  if (result.exitCode !== 0 || result.timedOut) {
    return {
      status: 'failed',
      ...ran(),
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      output,
      tail: tailOf(output),
      refusals: uniqueRefusals,
      stop: options.settings.on_failure === 'stop',
    };
  }

  const created = (await listUntracked(options.workspace, options.signal)).filter(
    (entry) => !before.has(entry),
  );
  await excludeFromGit(options.workspace, created);
  let cached = false;
  if (options.settings.cache && created.length > 0) {
    try {
      const bytes = await cache.store(
        options.cacheScope,
        key,
        options.workspace,
        created,
        detected.command,
      );
      cached = bytes !== undefined;
      if (!cached)
        options.onWarning?.('Setup: the result is larger than the whole cache; not cached.');
    } catch (error) {
      options.onWarning?.(describeError(error));
    }
  }
  return { status: 'installed', ...ran(), key, cached, output, refusals: uniqueRefusals };
}

/** Extracts the archive inside the sandbox (no network): whatever it holds stays in the checkout. */
async function restore(options: SetupPhaseOptions, archive: string): Promise<CommandResult> {
  const sandbox = await createSandbox({
    workspace: options.workspace,
    policy: 'workspace-write',
    extraReadOnlyPaths: [archive],
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  try {
    return await sandbox.run({
      argv: [
        'tar',
        '--extract',
        '--file',
        archive,
        '--no-same-owner',
        '--directory',
        sandbox.workspace,
      ],
      cwd: sandbox.workspace,
      timeoutMs: RESTORE_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await sandbox.close?.();
  }
}

/**
 * Copies the dependency directories a workflow installed in its checkout into the job's
 * workspace (`cp -a`, sharing blocks where the filesystem can). The workflow's checkout
 * is the workflow's own; nothing in it came from the model.
 */
async function copyInstalled(checkout: string, workspace: string): Promise<string[]> {
  const copied: string[] = [];
  if (path.resolve(checkout) === path.resolve(workspace)) return copied;
  for (const marker of INSTALLED_MARKERS) {
    const source = await lstat(path.join(checkout, marker)).catch(() => undefined);
    if (!source?.isDirectory()) continue;
    if ((await lstat(path.join(workspace, marker)).catch(() => undefined)) !== undefined) continue;
    await runFile('cp', [
      '-a',
      '--reflink=auto',
      '--',
      path.join(checkout, marker),
      path.join(workspace, marker),
    ]);
    copied.push(marker);
  }
  return copied;
}

function tailOf(output: string): string {
  return output.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}
