import { z } from 'zod';
import { describeError } from '../errors.js';
import { readAllPages } from '../github/review/paginate.js';
import type { GitHubApi } from '../github/types.js';
import { loadRepoConfig } from '../jobs/load-repo-config.js';
import { fireScheduledScans, type ScheduledRepository } from '../jobs/scan/scan-schedule.js';
import type { DeliveryJob } from '../jobs/job.js';

const Installation = z.object({ id: z.number().int() });
const Repository = z.object({
  name: z.string(),
  owner: z.object({ login: z.string() }),
  default_branch: z.string().min(1),
  archived: z.boolean().optional(),
});

/**
 * Every repository of every installation whose `.github/patchling.yml` has a
 * `scan.schedule`. One config read per repository per tick: fine for the tens of
 * repositories one App instance serves; a large installation base wants a cache keyed by
 * the config's blob sha (not built).
 */
export async function listScheduledRepositories(
  app: GitHubApi,
  githubFor: (installationId: number) => GitHubApi,
  log: (entry: Record<string, unknown>) => void,
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
        const loaded = await loadRepoConfig(github, repo);
        const schedule = loaded.ok ? loaded.config.scan.schedule : undefined;
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
