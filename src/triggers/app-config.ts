import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { parseDuration } from '../util/duration.js';

export interface AppConfig {
  readonly appId: number;
  readonly privateKey: string;
  readonly webhookSecret: string;
  readonly port: number;
  readonly host: string;
  readonly webhookPath: string;
  readonly commandName: string;
  readonly concurrency: number;
  readonly jobTimeoutMs: number;
  readonly maxTurns: number;
  readonly githubApiUrl: string;
  /** Clone URLs are `${cloneBaseUrl}/OWNER/REPO.git`. */
  readonly cloneBaseUrl: string;
  /** PATCHLING_GIT_CACHE_MAX_MB: the git cache's size cap (docs/workspace.md); absent: 5 GiB. */
  readonly gitCacheMaxBytes?: number;
  /** How often scan.schedule is checked; 0 or absent: never (the timer is off). */
  readonly scanTimerMs?: number;
  /** PATCHLING_QUEUE_URL: redis://… selects the BullMQ backend; absent, the SQLite file. */
  readonly queueUrl?: string;
  /** Jobs of one installation running at once in this instance (fairness). */
  readonly perInstallationConcurrency?: number;
  /** On SIGTERM, how long running jobs may take to finish before they are handed back. */
  readonly shutdownGraceMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The App's settings from the environment (.env.example lists them), checked up front. */
export function readAppConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const appId = Number(env.APP_ID);
  if (!Number.isInteger(appId) || appId <= 0) problems.push('APP_ID must be the App id (a number)');

  let privateKey = env.PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (!privateKey && env.PRIVATE_KEY_PATH) {
    try {
      privateKey = readFileSync(env.PRIVATE_KEY_PATH, 'utf8');
    } catch (error) {
      problems.push(`PRIVATE_KEY_PATH: ${(error as Error).message}`);
    }
  }
  if (!privateKey?.includes('PRIVATE KEY'))
    problems.push('PRIVATE_KEY (or PRIVATE_KEY_PATH) must hold the App private key (PEM)');
  const webhookSecret = env.WEBHOOK_SECRET ?? '';
  if (webhookSecret.length < 16)
    problems.push('WEBHOOK_SECRET must be set (at least 16 characters)');

  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) problems.push(`${name} must be a positive whole number`);
    return n;
  };
  // 0 asks the system for a free port; the App logs the one it got.
  const port = (raw: string | undefined) => {
    if (raw === undefined || raw === '') return 3000;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65_535)
      problems.push('PORT must be a port number (0 picks a free one)');
    return n;
  };
  const duration = (name: string, fallback: string) => {
    const ms = parseDuration(env[name] || fallback);
    if (ms === undefined || ms <= 0) problems.push(`${name} must be a duration such as 30m`);
    return ms ?? 0;
  };
  const config: AppConfig = {
    appId,
    privateKey: privateKey ?? '',
    webhookSecret,
    port: port(env.PORT),
    host: env.HOST || '0.0.0.0',
    webhookPath: env.WEBHOOK_PATH || '/api/github/webhooks',
    commandName: env.PATCHLING_COMMAND || 'patchling',
    concurrency: number('PATCHLING_CONCURRENCY', 2),
    jobTimeoutMs: duration('PATCHLING_JOB_TIMEOUT', '30m'),
    maxTurns: number('PATCHLING_MAX_TURNS', 60),
    githubApiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    cloneBaseUrl: (env.PATCHLING_CLONE_BASE_URL || 'https://github.com').replace(/\/+$/, ''),
    gitCacheMaxBytes: number('PATCHLING_GIT_CACHE_MAX_MB', 5120) * 1024 * 1024,
    scanTimerMs: env.PATCHLING_SCAN_TIMER === 'off' ? 0 : duration('PATCHLING_SCAN_TIMER', '10m'),
  };
  const queueUrl = env.PATCHLING_QUEUE_URL || undefined;
  if (queueUrl !== undefined && !/^rediss?:\/\/./.test(queueUrl))
    problems.push('PATCHLING_QUEUE_URL must be a redis:// or rediss:// URL');
  const perInstallation = number('PATCHLING_INSTALLATION_CONCURRENCY', config.concurrency);
  const shutdownGraceMs = duration('PATCHLING_SHUTDOWN_GRACE', '25s');
  if (problems.length > 0)
    throw new UserError(`The App is not configured:\n- ${problems.join('\n- ')}`);
  return {
    ...config,
    ...(queueUrl === undefined ? {} : { queueUrl }),
    perInstallationConcurrency: perInstallation,
    shutdownGraceMs,
  };
}
