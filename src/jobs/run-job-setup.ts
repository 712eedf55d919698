import { networkSettingsFromEnv } from '../egress/network-settings.js';
import type { ProgressReporter } from '../github/progress-reporter.js';
import type { GitHubRepo } from '../github/types.js';
import { runSetupPhase, type SetupOutcome } from '../setup/run-setup-phase.js';
import type { RepoConfig } from './repo-config.js';
import type { AgentJobDeps } from './run-agent-job.js';

/**
 * The setup phase of an App or Action job, right after its workspace is fetched: the
 * progress says so, the outcome is logged, and a failure either stops the job (with the
 * tail of the output, as `details` for the progress) or is a note the job carries on
 * with, per `setup.on_failure`.
 */
export async function runJobSetup(input: {
  readonly jobId: string;
  readonly deps: AgentJobDeps;
  readonly repo: GitHubRepo;
  readonly config: RepoConfig;
  readonly workspace: string;
  readonly secrets: readonly string[];
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  /**
   * Set when the checkout is a pull request's head. Its setup result is cached apart from
   * the repository's: the key covers the setup command and the lockfiles, not every script
   * they run, so a pull request changing only a postinstall script could otherwise store a
   * tampered install that every later job of the repository would restore.
   */
  readonly pullRequest?: number | undefined;
}): Promise<
  | {
      readonly ok: true;
      readonly outcome: SetupOutcome;
      /** A failed setup the job went on without: one sentence, and the output's tail. */
      readonly note?: string;
      readonly details?: string;
    }
  | { readonly ok: false; readonly message: string; readonly details: string }
> {
  const { deps, jobId } = input;
  input.progress.running('Installing the dependencies');
  const outcome = await runSetupPhase({
    workspace: input.workspace,
    settings: input.config.setup,
    network: deps.network ?? networkSettingsFromEnv({}),
    stateDir: deps.stateDir,
    cacheScope: `github:${input.repo.owner}/${input.repo.repo}${
      input.pullRequest === undefined ? '' : `#pr-${input.pullRequest}`
    }`.toLowerCase(),
    sandboxEnv: input.config.sandbox.env,
    secrets: input.secrets,
    ...(deps.installedCheckout ? { installedCheckout: deps.installedCheckout } : {}),
    ...(deps.setupCacheMaxBytes ? { cacheMaxBytes: deps.setupCacheMaxBytes } : {}),
    signal: input.signal,
    onProgress: (line) => deps.log({ msg: 'setup', jobId, line }),
    onWarning: (warning) => deps.log({ msg: 'warning', jobId, warning }),
  });
  deps.log({
    msg: 'setup finished',
    jobId,
    status: outcome.status,
    ...(outcome.status === 'skipped' ? { reason: outcome.reason } : {}),
    ...(outcome.status === 'skipped' ? {} : { durationMs: outcome.durationMs }),
    // The output, capped, for whoever debugs a repository's setup from the logs.
    ...(outcome.status === 'installed' || outcome.status === 'failed'
      ? { outputTail: outcome.output.trimEnd().split('\n').slice(-40).join('\n') }
      : {}),
  });
  if (outcome.status !== 'failed') return { ok: true, outcome };
  // A multi-line setup.run would not read well inline: name where it came from instead.
  const which = outcome.command.trim().includes('\n')
    ? outcome.source
    : `\`${outcome.command.trim()}\``;
  const what = `Setup (${which}) ${
    outcome.timedOut ? 'timed out' : `failed with exit code ${outcome.exitCode ?? 'none'}`
  }`;
  const details = `<details><summary>The end of the setup output</summary>\n\n\`\`\`\n${outcome.tail.replace(/```/g, '`\u200b``')}\n\`\`\`\n</details>`;
  if (outcome.stop) {
    return { ok: false, message: `${what}; setup.on_failure is stop.`, details };
  }
  return { ok: true, outcome, note: `${what}; the job went on without it.`, details };
}
