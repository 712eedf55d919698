import { z } from 'zod';
import { describeError, SystemError } from '../errors.js';
import { readAllPages } from '../github/review/paginate.js';
import type { GitHubApi, GitHubRepo } from '../github/types.js';
import { readRepoFileIfChanged } from '../github/read-repo-file.js';
import { parseRepoConfig, REPO_CONFIG_MAX_BYTES, REPO_CONFIG_PATH } from '../jobs/repo-config.js';
import { fireScheduledScans, type ScheduledRepository } from '../jobs/scan/scan-schedule.js';
import type { DeliveryJob } from '../jobs/job.js';
import { ScanConfigCache } from './scan-config-cache.js';

const Installation = z.object({ id: z.number().int() });
const Repository = z.object({
  name: z.string(),
  owner: z.object({ login: z.string() }),
  default_branch: z.string().min(1),
  archived: z.boolean().optional(),
});

/**
 * Every repository of every installation whose `.github/patchling.yml` has a
 * `scan.schedule`. Each config is read with the ETag of the last read (If-None-Match): an
 * unchanged config costs a 304, which GitHub does not count against the rate limit, and is
 * not parsed again; a changed one is read and parsed, so a new schedule takes effect on the
 * next tick.
 */
export async function listScheduledRepositories(
  app: GitHubApi,
  githubFor: (installationId: number) => GitHubApi,
  log: (entry: Record<string, unknown>) => void,
  configs: ScanConfigCache = new ScanConfigCache(),
): Promise<ScheduledRepository[]> {
  const installations = await readAllPages((page) =>
    app
      .request('GET /app/installations', { per_page: 100, page })
      .then((r) => ({ data: r.data as unknown[], headers: r.headers })),
  );
  const targets: ScheduledRepository[] = [];
  for (const item of installations) {
    const installation = Installation.safeParse(item);
    if (!installation.success) continue;
    const github = githubFor(installation.data.id);
    const repositories = await readAllPages((page) =>
      github
        .request('GET /installation/repositories', { per_page: 100, page })
        .then((r) => ({ data: r.data.repositories as unknown[], headers: r.headers })),
    );
    for (const entry of repositories) {
      const parsed = Repository.safeParse(entry);
      if (!parsed.success || parsed.data.archived === true) continue;
      const repo = { owner: parsed.data.owner.login, repo: parsed.data.name };
      try {
        const schedule = await readScanSchedule(github, repo, configs);
        if (schedule === undefined) continue;
        targets.push({
          repo: { ...repo, installationId: installation.data.id },
          defaultBranch: `refs/heads/${parsed.data.default_branch}`,
          schedule,
        });
      } catch (error) {
        log({ msg: 'could not read the scan schedule', repo, error: describeError(error) });
      }
    }
  }
  return targets;
}

/** listScheduledRepositories with one config cache for the life of the timer. */
export function scheduledRepositoryLister(
  app: () => GitHubApi,
  githubFor: (installationId: number) => GitHubApi,
  log: (entry: Record<string, unknown>) => void,
  configs: ScanConfigCache = new ScanConfigCache(),
): () => Promise<ScheduledRepository[]> {
  return () => listScheduledRepositories(app(), githubFor, log, configs);
}

/** `scan.schedule` from the default branch's config, through the cache. */
async function readScanSchedule(
  github: GitHubApi,
  repo: GitHubRepo,
  configs: ScanConfigCache,
): Promise<string | undefined> {
  const key = `${repo.owner}/${repo.repo}`.toLowerCase();
  const cached = configs.get(key);
  const read = await readRepoFileIfChanged(github, repo, REPO_CONFIG_PATH, {
    maxBytes: REPO_CONFIG_MAX_BYTES,
    etag: cached?.etag,
  });
  if (read.status === 'unchanged') {
    if (cached !== undefined) return cached.schedule;
    throw new SystemError('GitHub answered 304 Not Modified to a read without If-None-Match');
  }
  const loaded = parseRepoConfig(read.text);
  const schedule = loaded.ok ? loaded.config.scan.schedule : undefined;
  if (read.etag !== undefined) configs.set(key, { etag: read.etag, schedule });
  else configs.delete(key);
  return schedule;
}

/**
 * The App's timer for `scan.schedule`: every `intervalMs` (and once at start), each
 * scheduled repository's current period is enqueued, once per period whatever the number
 * of ticks, restarts or replicas (see fireScheduledScans). Stops with the App.
 */
export function startScanTimer(options: {
  readonly intervalMs: number;
  readonly listTargets: () => Promise<readonly ScheduledRepository[]>;
  readonly submit: (input: {
    deliveryId: string;
    job: DeliveryJob;
  }) => Promise<{ duplicate: boolean }>;
  readonly now: () => Date;
  readonly log: (entry: Record<string, unknown>) => void;
}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= (async () => {
      try {
        const result = await fireScheduledScans({
          targets: await options.listTargets(),
          submit: options.submit,
          now: options.now,
        });
        for (const id of result.fired)
          options.log({ msg: 'scheduled scan queued', deliveryId: id });
        for (const problem of result.problems)
          options.log({ msg: 'scan schedule unreadable', problem });
      } catch (error) {
        options.log({ msg: 'scan timer tick failed', error: describeError(error) });
      } finally {
        running = undefined;
      }
    })();
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
