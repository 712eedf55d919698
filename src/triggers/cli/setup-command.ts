import { stateDir } from '../../agent/run-log.js';
import { networkSettingsFromEnv } from '../../egress/network-settings.js';
import { secretsOfEnv } from '../../jobs/prepare-agent-run.js';
import { runSetupPhase, type SetupOutcome } from '../../setup/run-setup-phase.js';
import { setupCacheMaxBytesFromEnv } from '../../setup/setup-cache.js';
import type { CliIo } from './exec-command.js';
import { locateCheckout, readCheckoutConfig, runUserGit } from './run-settings.js';

export interface SetupFlags {
  readonly cd?: string;
  readonly json?: boolean;
  /** Run setup even when a cached result exists. */
  readonly cache?: boolean;
}

/** 0: installed, restored or nothing to do. 1: setup failed. 2: usage or config. */
export const SETUP_EXIT = { done: 0, failed: 1, usage: 2 } as const;

/**
 * `patchling setup [-C DIR]`: the setup phase on a local checkout, exactly as a job runs
 * it (the checkout's `setup:` config, the operator's PATCHLING_NETWORK_ALLOW, the cache in
 * the state dir). The way to debug a repository's setup.
 */
export async function runSetup(flags: SetupFlags, io: CliIo): Promise<number> {
  const { workspace } = locateCheckout(io.cwd, flags.cd);
  const config = await readCheckoutConfig(workspace);
  const network = networkSettingsFromEnv(io.env);
  const outcome = await runSetupPhase({
    workspace,
    settings: flags.cache === false ? { ...config.setup, cache: false } : config.setup,
    network,
    stateDir: stateDir(io.env),
    cacheScope: await cacheScopeOf(workspace, io),
    cacheMaxBytes: setupCacheMaxBytesFromEnv(io.env),
    sandboxEnv: config.sandbox.env,
    secrets: secretsOfEnv(io.env),
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: (line) => {
      if (!flags.json) io.stderr(`${line}\n`);
    },
    onWarning: (message) => io.stderr(`warning: ${message}\n`),
  });
  if (flags.json) io.stdout(`${JSON.stringify(outcome)}\n`);
  else io.stdout(formatOutcome(outcome));
  return outcome.status === 'failed' ? SETUP_EXIT.failed : SETUP_EXIT.done;
}

/**
 * The repository as the cache knows it: the origin's URL, so every clone of one
 * repository shares its entries; a checkout without an origin is its own.
 */
async function cacheScopeOf(workspace: string, io: CliIo): Promise<string> {
  const origin = await runUserGit(workspace, io.env, ['remote', 'get-url', 'origin']).then(
    (url) => url.trim(),
    () => '',
  );
  return origin !== '' ? `remote:${origin.replace(/\.git$/, '')}` : `path:${workspace}`;
}

function formatOutcome(outcome: SetupOutcome): string {
  switch (outcome.status) {
    case 'skipped':
      return `Setup skipped: ${outcome.reason}.\n`;
    case 'restored':
      return `Setup restored \`${outcome.command}\` from the cache in ${seconds(outcome.durationMs)}.\n`;
    case 'installed':
      return (
        `${outcome.output.trimEnd()}\n` +
        `Setup ran \`${outcome.command}\` (from ${outcome.source}) in ${seconds(outcome.durationMs)}` +
        `${outcome.cached ? '; the result is cached' : ''}.\n`
      );
    case 'failed':
      return (
        `${outcome.output.trimEnd()}\n` +
        `Setup failed: \`${outcome.command}\` ${
          outcome.timedOut ? 'timed out' : `exited with ${outcome.exitCode ?? 'a signal'}`
        } after ${seconds(outcome.durationMs)}.\n`
      );
    default: {
      const unhandled: never = outcome;
      throw new Error(`unknown setup outcome ${JSON.stringify(unhandled)}`);
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
