import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeError, UserError } from '../errors.js';
import { createGitHubClient } from '../github/create-github-client.js';
import { resolveTokenLogin } from '../github/resolve-token-login.js';
import type { GitHubRateLimitWait } from '../github/throttle-options.js';
import { networkSettingsFromEnv, type NetworkSettings } from '../egress/network-settings.js';
import { secretsOfEnv } from '../jobs/prepare-agent-run.js';
import { setupCacheMaxBytesFromEnv } from '../setup/setup-cache.js';
import { JobDeadlineExceeded } from '../queue/errors.js';
import { SecretRedactor } from '../util/redact-secrets.js';
import { readActionContext, type ActionContext } from './action/context.js';
import {
  readActionInputs,
  scrubSecretEnv,
  secretInputs,
  type ActionInputs,
  type ActionOutputName,
} from './action/inputs.js';
import { explainError, runActionEvent, type ActionOutcome } from './action/run-event.js';
import {
  createRunnerConsole,
  maskSecret,
  writeOutputs,
  type RunnerConsole,
} from './action/runner.js';

/**
 * The account the workflow token posts as: assumed only when GitHub will not say which
 * account the token is (see resolveTokenLogin). Its own comments never trigger Patchling.
 */
export const ACTION_BOT_LOGIN = 'github-actions[bot]';

export const ACTION_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface ActionOptions {
  /** Where workflow commands and log lines go. Default: process.stdout. */
  readonly stdout?: (text: string) => void;
  /** Tests: shorter GitHub waits (see createGitHubClient). */
  readonly github?: {
    readonly retryAfterBaseMs?: number;
    readonly writeIntervalMs?: number;
    readonly retries?: number;
  };
  /** End the job visibly when the workflow is cancelled (SIGINT, SIGTERM). Default true. */
  readonly handleSignals?: boolean;
}

/**
 * The GitHub Action: the event the runner saved goes through the App's routing and runs
 * inline. `env` is the runner's environment (process.env); the secret inputs are deleted
 * from it once read, so no child process inherits them. Returns the exit code: 0 unless
 * the job failed (1) or the inputs are wrong (2). Ignored and refused events exit 0.
 */
export async function main(
  env: Record<string, string | undefined>,
  options: ActionOptions = {},
): Promise<number> {
  const write = options.stdout ?? ((text: string) => void process.stdout.write(text));
  // Before anything else is printed, so no later line can show them.
  const secrets = secretInputs(env);
  for (const secret of secrets) maskSecret(write, secret);
  const redactor = new SecretRedactor([...secrets, ...secretsOfEnv(env)]);
  const out = createRunnerConsole(write, (text) => redactor.redact(text));

  let inputs: ActionInputs;
  let context: ActionContext;
  let network: NetworkSettings;
  let setupCacheMaxBytes: number;
  try {
    inputs = readActionInputs(env);
    context = readActionContext(env);
    network = networkSettingsFromEnv(env);
    setupCacheMaxBytes = setupCacheMaxBytesFromEnv(env);
  } catch (error) {
    const outcome: ActionOutcome = { status: 'failed', job: 'none', summary: describeError(error) };
    return finish(env, out, redactor, outcome, error instanceof UserError ? 'usage' : 'failed');
  } finally {
    scrubSecretEnv(env);
  }

  const log = (entry: Record<string, unknown>) => out.log(formatLogEntry(entry));
  const onWait = (wait: GitHubRateLimitWait) =>
    log({
      msg: `GitHub ${wait.kind} rate limit: waiting ${wait.retryAfterSeconds} s`,
      attempt: wait.attempt,
      request: wait.request,
    });
  const github = createGitHubClient({
    auth: inputs.githubToken,
    baseUrl: context.apiUrl,
    redactor,
    throttle: {
      onRateLimit: onWait,
      onSecondaryRateLimit: onWait,
      ...(options.github?.writeIntervalMs === undefined
        ? {}
        : { writeIntervalMs: options.github.writeIntervalMs }),
    },
    ...(options.github?.retryAfterBaseMs === undefined
      ? {}
      : { retryAfterBaseMs: options.github.retryAfterBaseMs }),
    ...(options.github?.retries === undefined ? {} : { retries: options.github.retries }),
    // octokit logs every failed request as an error, the expected 404s included: the
    // failures that matter are reported where they are handled.
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message) => out.log(`warning: ${message}`),
      error: (message) => out.debug(message),
    },
  });

  const controller = new AbortController();
  const deadline = setTimeout(
    () => controller.abort(new JobDeadlineExceeded(inputs.timeoutMs)),
    inputs.timeoutMs,
  );
  const onSignal = () => controller.abort(new Error('The workflow run was cancelled.'));
  if (options.handleSignals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    // An App's or a person's token posts as its own account: earlier reviews are
    // recognised by that login, not by the workflow token's.
    const identity = await resolveTokenLogin(github, {
      fallback: ACTION_BOT_LOGIN,
      warn: (message) => out.log(`warning: ${message}`),
    });
    log({ msg: 'acting as', login: identity.login, source: identity.source });
    const outcome = await runActionEvent(
      {
        github,
        context,
        botLogin: identity.login,
        commandName: inputs.commandName,
        agent: {
          gitToken: () => Promise.resolve(inputs.githubToken),
          botLogin: () => Promise.resolve(identity.login),
          cloneUrl: (owner, repo) => `${context.serverUrl}/${owner}/${repo}.git`,
          modelConfig: inputs.modelConfig,
          stateDir: context.stateDir,
          workRoot: context.workRoot,
          secrets: [inputs.githubToken, inputs.modelConfig.apiKey],
          maxTurns: inputs.maxTurns,
          network,
          setupCacheMaxBytes,
          ...(env.GITHUB_WORKSPACE ? { installedCheckout: env.GITHUB_WORKSPACE } : {}),
        },
        log,
      },
      controller.signal,
    );
    return finish(env, out, redactor, outcome);
  } catch (error) {
    const outcome: ActionOutcome = { status: 'failed', job: 'none', summary: explainError(error) };
    return finish(env, out, redactor, outcome);
  } finally {
    clearTimeout(deadline);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Writes the outputs, says how it ended, and picks the exit code. */
function finish(
  env: Readonly<Record<string, string | undefined>>,
  out: RunnerConsole,
  redactor: SecretRedactor,
  outcome: ActionOutcome,
  failure: 'usage' | 'failed' = 'failed',
): number {
  const outputs: Record<ActionOutputName, string> = {
    status: outcome.status,
    job: outcome.job,
    summary: outcome.summary,
    'run-id': outcome.runId ?? '',
  };
  try {
    if (!writeOutputs(env, outputs, (text) => redactor.redact(text))) {
      out.log('GITHUB_OUTPUT is not set: the outputs are not recorded.');
    }
  } catch (error) {
    out.annotate('error', `Could not write the outputs: ${describeError(error)}`);
    return ACTION_EXIT.failed;
  }
  const runNote = outcome.runId ? ` (run ${outcome.runId})` : '';
  out.log(`patchling: ${outcome.status}, job ${outcome.job}${runNote}: ${outcome.summary}`);
  switch (outcome.status) {
    case 'completed':
      return ACTION_EXIT.ok;
    case 'ignored':
      out.annotate('notice', `Patchling ignored this event: ${outcome.summary}`);
      return ACTION_EXIT.ok;
    case 'refused':
      out.annotate('notice', `Patchling refused: ${outcome.summary}`);
      return ACTION_EXIT.ok;
    case 'unavailable':
      out.annotate('warning', outcome.summary);
      return ACTION_EXIT.ok;
    case 'failed':
    case 'budget_exceeded':
      out.annotate('error', outcome.summary);
      return failure === 'usage' ? ACTION_EXIT.usage : ACTION_EXIT.failed;
    default: {
      const unhandled: never = outcome.status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}

function formatLogEntry(entry: Record<string, unknown>): string {
  const { msg, ...rest } = entry;
  const fields = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [typeof msg === 'string' ? msg : 'patchling', ...fields].join(' ');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main(process.env));
}
