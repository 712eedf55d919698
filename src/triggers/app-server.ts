import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNodeMiddleware, Probot } from 'probot';
import { stateDir as defaultStateDir } from '../agent/run-log.js';
import { describeError, UserError } from '../errors.js';
import { createGitHubClient, type GitHubClient } from '../github/create-github-client.js';
import { createProgressCheckRun } from '../github/progress-check-run.js';
import { createProgressComment } from '../github/progress-comment.js';
import { createJobHandler } from '../jobs/create-job-handler.js';
import { secretsOfEnv } from '../jobs/prepare-agent-run.js';
import { resolveModelConfig, type ModelConfig } from '../model/model-config.js';
import { SqliteJobStore, defaultQueuePath } from '../queue/sqlite-job-store.js';
import { submitJob } from '../queue/submit-job.js';
import type { JobEvent } from '../queue/job-events.js';
import type { EnqueueInput, EnqueueResult, StoredJob } from '../queue/types.js';
import { JobWorkerPool } from '../queue/worker-pool.js';
import { tokenSpellings } from '../workspace/git/auth-header.js';
import { SecretRedactor } from '../util/redact-secrets.js';
import { readAppConfig, type AppConfig } from './app-config.js';
import { webhookIntake } from './webhook-intake.js';

export interface AppServer {
  readonly url: string;
  /** For tests that drive events through `probot.receive`. */
  readonly probot: Probot;
  readonly store: SqliteJobStore;
  readonly pool: JobWorkerPool;
  close(): Promise<void>;
}

export interface AppServerOptions {
  readonly config: AppConfig;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Tests: start without claiming jobs (to inspect the queue). */
  readonly startWorkers?: boolean;
}

/**
 * The GitHub App: a webhook endpoint (Probot checks the signature; the intake stores the
 * delivery durably before GitHub gets its answer) and a worker pool that routes
 * deliveries and runs jobs. On start, jobs a dead process left running are recovered
 * and their progress finalized, so none ends silently.
 */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const { config } = options;
  const log = options.log ?? ((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`));
  const redactor = new SecretRedactor([
    config.privateKey,
    config.webhookSecret,
    options.modelConfig.apiKey,
    ...secretsOfEnv(options.env),
  ]);
  const safeLog = (entry: Record<string, unknown>) =>
    log(JSON.parse(redactor.redact(JSON.stringify(entry))) as Record<string, unknown>);

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
        // Octokit's own messages go through the redacting log, not straight to the console.
        log: {
          debug: () => undefined,
          info: () => undefined,
          warn: (message) => safeLog({ msg: 'github', level: 'warn', message }),
          error: (message) => safeLog({ msg: 'github', level: 'error', message }),
        },
        throttle: {
          onRateLimit: (wait) =>
            safeLog({ msg: 'GitHub rate limit, waiting', ...wait, request: undefined }),
          onSecondaryRateLimit: (wait) =>
            safeLog({ msg: 'GitHub secondary rate limit, waiting', ...wait, request: undefined }),
        },
      });
      clients.set(installationId, client);
    }
    return client;
  };
  const appAuth = createAppAuth({
    appId: config.appId,
    privateKey: config.privateKey,
    request: new Octokit({ baseUrl: config.githubApiUrl }).request,
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
  const resolveBotLogin = () => {
    // Our client, not a bare Octokit: retries, a request timeout, redaction.
    botLogin ??= createGitHubClient({
      auth: {
        authStrategy: createAppAuth,
        auth: { appId: config.appId, privateKey: config.privateKey },
      },
      baseUrl: config.githubApiUrl,
      redactor,
      throttle: { onRateLimit: () => undefined, onSecondaryRateLimit: () => undefined },
    })
      .request('GET /app')
      .then(({ data }) => `${data?.slug ?? config.commandName}[bot]`)
      .catch((error: unknown) => {
        // Forget a failure: one GitHub 502 must not stop every later delivery.
        botLogin = undefined;
        throw error;
      });
    return botLogin;
  };

  const store = SqliteJobStore.open({ path: defaultQueuePath(options.stateDir) });
  const recovered = await store.recoverInterrupted();
  // Anything a dead process left running: its progress must not stay "running" forever.
  for (const job of [...recovered.requeued, ...recovered.failed]) {
    await finalizeProgress(
      job,
      recovered.failed.includes(job)
        ? (job.error ?? 'The job was interrupted.')
        : 'Patchling restarted while this job ran; it runs again.',
      githubFor,
      redactor,
    ).catch((error: unknown) =>
      safeLog({
        msg: 'could not finalize progress after a restart',
        job: job.id,
        error: describeError(error),
      }),
    );
  }

  // Called only after the pool exists (by the intake and by jobs the pool runs).
  const submit = (input: EnqueueInput): Promise<EnqueueResult> => submitJob(store, pool, input);
  const pool: JobWorkerPool = new JobWorkerPool({
    store,
    concurrency: config.concurrency,
    jobDeadlineMs: config.jobTimeoutMs,
    onJobEvent: (event) => safeLog(describeJobEvent(event)),
    run: createJobHandler({
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
      },
      log: safeLog,
    }),
  });

  const probot = new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.webhookSecret,
    logLevel: 'warn',
    baseUrl: config.githubApiUrl,
  });
  const middleware = await createNodeMiddleware(webhookIntake({ submit, log: safeLog }), {
    probot,
    webhooksPath: config.webhookPath,
  });
  const server: Server = createServer((request, response) => {
    void middleware(request, response, () => {
      if (request.url === '/healthz') response.writeHead(200).end('ok');
      else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (options.startWorkers !== false) pool.start();
  safeLog({ msg: 'Patchling App listening', port, webhookPath: config.webhookPath });

  return {
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    probot,
    store,
    pool,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.stop({ drainMs: 10_000 });
      await store.close();
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

async function finalizeProgress(
  job: StoredJob,
  reason: string,
  githubFor: (installationId: number | undefined) => GitHubClient,
  redactor: SecretRedactor,
): Promise<void> {
  const progress = job.progress ?? {};
  const payload = job.payload;
  if (payload.kind === 'delivery' || payload.kind === 'help') return;
  const github = githubFor(payload.repo.installationId);
  const repo = { owner: payload.repo.owner, repo: payload.repo.repo };
  if (typeof progress.check_run === 'number' && payload.kind === 'review') {
    await createProgressCheckRun({
      octokit: github,
      repo,
      headSha: payload.headSha ?? '',
      jobId: job.id,
      redactor,
    }).finalizeAfterCrash(progress.check_run, reason);
  } else if (typeof progress.comment === 'number' && payload.kind === 'fix') {
    await createProgressComment({
      octokit: github,
      repo,
      issueNumber: payload.issueNumber,
      jobId: job.id,
      jobKind: payload.kind,
      redactor,
    }).finalizeAfterCrash(progress.comment, reason);
  }
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
    });
    const stop = () => void server.close().then(() => process.exit(0));
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
