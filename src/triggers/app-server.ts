import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import path from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stateDir as defaultStateDir } from '../agent/run-log.js';
import { describeError, UserError } from '../errors.js';
import { createGitHubClient, type GitHubClient } from '../github/create-github-client.js';
import { createJobHandler } from '../jobs/create-job-handler.js';
import { secretsOfEnv } from '../jobs/prepare-agent-run.js';
import { resolveModelConfig, type ModelConfig } from '../model/model-config.js';
import { jobEnqueueInput } from '../jobs/job-enqueue-input.js';
import type { Job } from '../jobs/job.js';
import { JobSuperseded } from '../queue/errors.js';
import { defaultQueuePath } from '../queue/sqlite-job-store.js';
import { submitJob } from '../queue/submit-job.js';
import { scheduledRepositoryLister, startScanTimer } from './scan-timer.js';
import type { JobEvent } from '../queue/job-events.js';
import type { JobHandler } from '../queue/execute-job.js';
import type { EnqueueResult, JobStore } from '../queue/types.js';
import { JobWorkerPool } from '../queue/worker-pool.js';
import { tokenSpellings } from '../workspace/git/auth-header.js';
import { SecretRedactor } from '../util/redact-secrets.js';
import { networkSettingsFromEnv } from '../egress/network-settings.js';
import { setupCacheMaxBytesFromEnv } from '../setup/setup-cache.js';
import { readAppConfig, type AppConfig } from './app-config.js';
import { createAppMetrics, healthReply } from './app-metrics.js';
import { isTransientJobError, openAppQueue, type QueueBackend } from './app-queue.js';
import { finalizeProgress, finishingEarlierProgress, RUNS_AGAIN } from './finalize-progress.js';
import { startIntakeThread } from './intake-thread-host.js';
import type { WebhookAck } from './intake-thread-protocol.js';
import { octokitLogger } from './octokit-log.js';
import { intakeDelivery, type IntakeOutcome, type VerifiedDelivery } from './webhook-intake.js';

export interface AppServer {
  readonly url: string;
  /** Takes a delivery whose signature was checked, as the webhook endpoint does (tests). */
  receive(delivery: VerifiedDelivery): Promise<IntakeOutcome>;
  readonly store: JobStore<Job>;
  readonly backend: QueueBackend;
  readonly pool: JobWorkerPool<Job>;
  /** Stops taking webhooks and claiming, lets running jobs finish for graceMs, hands back the rest. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface AppServerOptions {
  readonly config: AppConfig;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Each webhook request answered, as the intake saw it (the busy-ack bench). */
  readonly onWebhookAck?: (ack: WebhookAck) => void;
  /** The webhook intake thread ended unasked: the App can no longer take webhooks. */
  readonly onIntakeExit?: (reason: string) => void;
  /** Tests: start without claiming jobs (to inspect the queue). */
  readonly startWorkers?: boolean;
  /** Replaces the job handler (the bench runs stand-in reviews); default: the real jobs. */
  readonly runJob?: JobHandler<Job>;
  /** Redis backend: a dead instance's job is taken over after about this long. Tests shorten it. */
  readonly queueTimings?: {
    readonly lockDurationMs?: number;
    readonly stalledIntervalMs?: number;
    readonly heartbeatMs?: number;
    readonly pollIntervalMs?: number;
  };
}

/**
 * The GitHub App: a webhook endpoint on its own thread (it checks the signature and
 * stores the delivery durably before GitHub gets its answer; intake-thread.ts) and a
 * worker pool on this thread that routes deliveries and runs jobs. On start, jobs a dead process left running are recovered
 * and their progress finalized, so none ends silently.
 */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const { config } = options;
  // Read before anything starts: a bad PATCHLING_NETWORK_ALLOW is a startup error.
  const network = networkSettingsFromEnv(options.env);
  const setupCacheMaxBytes = setupCacheMaxBytesFromEnv(options.env);
  const log = options.log ?? ((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`));
  const redactor = new SecretRedactor([
    config.privateKey,
    config.webhookSecret,
    options.modelConfig.apiKey,
    ...secretsOfEnv(options.env),
  ]);
  const safeLog = (entry: Record<string, unknown>) =>
    log(JSON.parse(redactor.redact(JSON.stringify(entry))) as Record<string, unknown>);

  const octokitLog = octokitLogger(safeLog);
  const clients = new Map<number, GitHubClient>();
  const githubFor = (installationId: number | undefined): GitHubClient => {
    if (installationId === undefined)
      throw new UserError(
        'The event carries no installation: is the App installed on the repository?',
      );
    let client = clients.get(installationId);
    if (!client) {
      client = createGitHubClient({
        auth: {
          authStrategy: createAppAuth,
          auth: { appId: config.appId, privateKey: config.privateKey, installationId },
        },
        baseUrl: config.githubApiUrl,
        redactor,
        log: octokitLog,
        throttle: {
          onRateLimit: (wait) => {
            metrics.onGitHubRateLimit('github', wait.retryAfterSeconds);
            safeLog({ msg: 'GitHub rate limit, waiting', ...wait, request: undefined });
          },
          onSecondaryRateLimit: (wait) => {
            metrics.onGitHubRateLimit('github_secondary', wait.retryAfterSeconds);
            safeLog({ msg: 'GitHub secondary rate limit, waiting', ...wait, request: undefined });
          },
        },
      });
      clients.set(installationId, client);
    }
    return client;
  };
  const appAuth = createAppAuth({
    appId: config.appId,
    privateKey: config.privateKey,
    request: new Octokit({ baseUrl: config.githubApiUrl, log: octokitLog }).request,
  });
  const gitTokenFor = async (installationId: number | undefined) => {
    if (installationId === undefined)
      throw new UserError('No installation to fetch the repository with.');
    const { token } = await appAuth({ type: 'installation', installationId });
    // The job hands this token to git; every client and log of this process hides it.
    redactor.add(...tokenSpellings(token));
    return token;
  };
  let botLogin: Promise<string> | undefined;
  // Our client, not a bare Octokit: retries, a request timeout, redaction. As the App itself.
  const appClient = () =>
    createGitHubClient({
      auth: {
        authStrategy: createAppAuth,
        auth: { appId: config.appId, privateKey: config.privateKey },
      },
      baseUrl: config.githubApiUrl,
      redactor,
      log: octokitLog,
      throttle: { onRateLimit: () => undefined, onSecondaryRateLimit: () => undefined },
    });
  const resolveBotLogin = () => {
    botLogin ??= appClient()
      .request('GET /app')
      .then(({ data }) => `${data?.slug ?? config.commandName}[bot]`)
      .catch((error: unknown) => {
        // Forget a failure: one GitHub 502 must not stop every later delivery.
        botLogin = undefined;
        throw error;
      });
    return botLogin;
  };

  const timings = options.queueTimings ?? {};
  const { store, backend, shared } = await openAppQueue({
    queueUrl: config.queueUrl,
    stateDir: options.stateDir,
    ...(timings.lockDurationMs === undefined ? {} : { lockDurationMs: timings.lockDurationMs }),
    ...(timings.stalledIntervalMs === undefined
      ? {}
      : { stalledIntervalMs: timings.stalledIntervalMs }),
  });
  const metrics = createAppMetrics({
    store,
    backend,
    runningHere: () => pool.runningIds().length,
  });
  // Anything a dead process left running: its progress must not stay "running" forever.
  // One process on a SQLite file recovers once, at start; on Redis, BullMQ's stalled check
  // hands a dead instance's jobs back at any time, so their progress is finished as found.
  const recover = async () => {
    const recovered = await store.recoverInterrupted();
    for (const job of [...recovered.requeued, ...recovered.failed]) {
      await finalizeProgress(
        job,
        recovered.failed.includes(job) ? (job.error ?? 'The job was interrupted.') : RUNS_AGAIN,
        { githubFor, redactor },
      ).catch((error: unknown) =>
        safeLog({
          msg: 'could not finalize progress after a restart',
          job: job.id,
          error: describeError(error),
        }),
      );
    }
  };
  await recover();
  let recovering: Promise<void> = Promise.resolve();
  const recoveryTimer = shared
    ? setInterval(() => {
        recovering = recovering
          .then(recover)
          .catch((error: unknown) =>
            safeLog({ msg: 'job recovery failed', error: describeError(error) }),
          );
      }, timings.stalledIntervalMs ?? 10_000)
    : undefined;
  recoveryTimer?.unref();

  // Called only after the pool exists (by the intake and by jobs the pool runs).
  const submit = (input: { deliveryId: string; job: Job }): Promise<EnqueueResult<Job>> =>
    submitJob(store, pool, jobEnqueueInput(input));
  const pool: JobWorkerPool<Job> = new JobWorkerPool<Job>({
    store,
    concurrency: config.concurrency,
    ...(config.perInstallationConcurrency === undefined
      ? {}
      : { perGroupConcurrency: config.perInstallationConcurrency }),
    jobDeadlineMs: config.jobTimeoutMs,
    isRetryable: isTransientJobError,
    ...(timings.heartbeatMs === undefined ? {} : { heartbeatMs: timings.heartbeatMs }),
    ...(timings.pollIntervalMs === undefined ? {} : { pollIntervalMs: timings.pollIntervalMs }),
    onJobEvent: (event) => {
      metrics.onJobEvent(event);
      safeLog(describeJobEvent(event));
    },
    run: finishingEarlierProgress(
      options.runJob ??
        createJobHandler({
          store,
          githubFor,
          gitTokenFor,
          submit,
          botLogin: resolveBotLogin,
          commandName: config.commandName,
          agent: {
            cloneUrl: (owner, repo) => `${config.cloneBaseUrl}/${owner}/${repo}.git`,
            modelConfig: options.modelConfig,
            stateDir: options.stateDir,
            workRoot: path.join(options.stateDir, 'workspaces'),
            // Beside the workspaces, on the same filesystem: jobs hard-link the mirrors' objects.
            gitCache: {
              root: path.join(options.stateDir, 'git-cache'),
              maxBytes: config.gitCacheMaxBytes,
            },
            secrets: [config.privateKey, config.webhookSecret, options.modelConfig.apiKey],
            maxTurns: config.maxTurns,
            network,
            setupCacheMaxBytes,
            onAgentEvent: (event) => {
              if (event.type === 'model_retry') metrics.onModelRetry(event.retry);
            },
          },
          log: safeLog,
        }),
      { githubFor, redactor, log: safeLog },
    ),
  });

  // The webhook endpoint runs on a thread of its own, so job work here cannot delay an
  // acknowledgement (docs/queue.md, "The webhook acknowledgement").
  const intake = await startIntakeThread(
    {
      secret: config.webhookSecret,
      webhookPath: config.webhookPath,
      host: config.host,
      port: config.port,
      store:
        backend === 'redis' && config.queueUrl
          ? { backend, url: config.queueUrl }
          : { backend: 'sqlite', path: defaultQueuePath(options.stateDir) },
    },
    {
      onStored: ({ jobId, supersededRunning }) => {
        for (const id of supersededRunning) pool.abort(id, new JobSuperseded(jobId));
        pool.notify();
      },
      log: safeLog,
      onAck: (ack) => {
        metrics.onWebhookAck(ack);
        options.onWebhookAck?.(ack);
      },
      answer: async ({ url }) => {
        if (url === '/healthz') return healthReply(store, backend);
        if (url === '/metrics') return metrics.reply();
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found\n' };
      },
      onExit: (reason) => {
        safeLog({ msg: 'webhook intake stopped', level: 'error', error: reason });
        options.onIntakeExit?.(reason);
      },
    },
  ).catch(async (error: unknown) => {
    // Nothing was claimed yet; leave nothing open behind the error (a port in use, say).
    clearInterval(recoveryTimer);
    await store.close();
    throw error;
  });
  const port = intake.port;
  if (options.startWorkers !== false) pool.start();
  const scanTimer =
    config.scanTimerMs !== undefined && config.scanTimerMs > 0
      ? startScanTimer({
          intervalMs: config.scanTimerMs,
          listTargets: scheduledRepositoryLister(appClient, githubFor, safeLog),
          submit,
          now: () => new Date(),
          log: safeLog,
        })
      : undefined;
  safeLog({
    msg: 'Patchling App listening',
    port,
    webhookPath: config.webhookPath,
    queue: backend,
  });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    receive: (delivery) => intakeDelivery({ submit, log: safeLog }, delivery),
    store,
    backend,
    pool,
    close(closeOptions = {}) {
      closing ??= (async () => {
        // No new webhooks; those in flight are stored and answered first.
        const intakeClosed = intake.close();
        await scanTimer?.stop();
        // Stop claiming at once; running jobs get the grace period, then go back to the queue.
        await pool.stop({ drainMs: closeOptions.graceMs ?? config.shutdownGraceMs ?? 10_000 });
        clearInterval(recoveryTimer);
        await recovering;
        await intakeClosed;
        await store.close();
      })();
      return closing;
    },
  };
}

/** A log line for a pool event: the job's identity, not its payload (a whole webhook). */
function describeJobEvent(event: JobEvent): Record<string, unknown> {
  if (event.type === 'store-error') {
    return {
      msg: 'job store error',
      operation: event.operation,
      jobId: event.jobId,
      error: describeError(event.error),
    };
  }
  const { job, type, ...rest } = event;
  return {
    msg: `job ${type}`,
    jobId: job.id,
    kind: job.kind,
    deliveryId: job.deliveryId,
    attempts: job.attempts,
    ...rest,
  };
}

/** `npm start`: the App, configured from the environment (see .env.example). */
export async function main(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  try {
    const config = readAppConfig(env);
    const modelConfig = resolveModelConfig({}, env);
    const server = await startAppServer({
      config,
      modelConfig,
      stateDir: defaultStateDir(env),
      env,
      // Without its webhook endpoint the instance is useless: exit, for the supervisor to restart it.
      onIntakeExit: () => void server.close().finally(() => process.exit(1)),
    });
    // SIGTERM: stop claiming, let running jobs finish within the grace period, hand the
    // rest back to the queue (another instance, or this one restarted, runs them).
    const stop = () => {
      process.stdout.write(
        `${JSON.stringify({ msg: 'shutting down', graceMs: config.shutdownGraceMs })}\n`,
      );
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return 0;
  } catch (error) {
    process.stderr.write(`patchling app: ${describeError(error)}\n`);
    return error instanceof UserError ? 2 : 1;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.env);
  if (code !== 0) process.exitCode = code;
}
