import { parseRepoConfig } from '../../src/jobs/repo-config.js';
import type { RepoConfig } from '../../src/jobs/repo-config.js';
import { routeEvent } from '../../src/jobs/route.js';
import type { RouteInput } from '../../src/jobs/route-input.js';
import type { RoutedJob, RouteDecision } from '../../src/jobs/job.js';

export const BOT_LOGIN = 'patchling[bot]';

export function configFrom(yaml: string): RepoConfig {
  const result = parseRepoConfig(yaml);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

/** Routes with the defaults a test does not care about. */
export function route(
  name: string,
  payload: unknown,
  options: Partial<Omit<RouteInput, 'name' | 'payload'>> = {},
): RouteDecision {
  return routeEvent({
    name,
    payload,
    config: configFrom(''),
    botLogin: BOT_LOGIN,
    commandName: 'patchling',
    ...options,
  });
}

export function jobOf(decision: RouteDecision): RoutedJob {
  if (decision.action !== 'run') throw new Error(`expected a job, got ${JSON.stringify(decision)}`);
  return decision.job;
}

export function reasonOf(decision: RouteDecision): string {
  if (decision.action === 'run')
    throw new Error(`expected no job, got ${JSON.stringify(decision)}`);
  return decision.reason;
}
