import { describe, expect, it } from 'vitest';
import { fireScheduledScans } from '../../src/jobs/scan/scan-schedule.js';
import type { DeliveryJob } from '../../src/jobs/job.js';
import { ScanConfigCache } from '../../src/triggers/scan-config-cache.js';
import { listScheduledRepositories } from '../../src/triggers/scan-timer.js';
import { githubApi, testClient, useNock } from '../github/helpers.js';
import { headerOf } from '../support/nock-request.js';

useNock();

const OWNER = 'octo-org';
const CONFIG_ROUTE = `/repos/${OWNER}/shop/contents/.github%2Fpatchling.yml`;

/** The contents API's answer for the config, as GitHub sends it (base64, wrapped). */
function contents(yaml: string, sha: string) {
  const content = Buffer.from(yaml, 'utf8');
  return {
    type: 'file',
    encoding: 'base64',
    size: content.length,
    name: 'patchling.yml',
    path: '.github/patchling.yml',
    content: `${content.toString('base64').replace(/.{60}/g, '$&\n')}\n`,
    sha,
    url: `https://api.github.com${CONFIG_ROUTE}?ref=main`,
  };
}

/** The installation and its one repository, as each tick lists them. */
function listing(scope: ReturnType<typeof githubApi>['scope']) {
  scope
    .get('/app/installations')
    .query({ per_page: '100', page: '1' })
    .reply(200, [{ id: 42, account: { login: OWNER } }]);
  scope
    .get('/installation/repositories')
    .query({ per_page: '100', page: '1' })
    .reply(200, {
      total_count: 1,
      repositories: [{ name: 'shop', owner: { login: OWNER }, default_branch: 'main' }],
    });
}

/** A tick: the targets through the cache, then fired into an idempotent in-memory queue. */
async function tick(configs: ScanConfigCache, queue: Map<string, DeliveryJob>, now: Date) {
  const github = testClient();
  const targets = await listScheduledRepositories(
    github,
    () => github,
    () => undefined,
    configs,
  );
  const result = await fireScheduledScans({
    targets,
    now: () => now,
    submit: async ({ deliveryId, job }) => {
      const duplicate = queue.has(deliveryId);
      queue.set(deliveryId, job);
      return { duplicate };
    },
  });
  return { targets, ...result };
}

describe('the scan timer’s config cache', () => {
  it('asks with If-None-Match once the config is known, fires from the cached schedule on a 304, and takes a changed schedule at once', async () => {
    const { scope } = githubApi();
    const configs = new ScanConfigCache(10);
    const queue = new Map<string, DeliveryJob>();
    const etags: (string | undefined)[] = [];
    scope.on('request', (request: Parameters<typeof headerOf>[0]) => {
      if (new URL(request.url).pathname.startsWith(`/repos/${OWNER}/shop/contents`))
        etags.push(headerOf(request, 'if-none-match'));
    });

    // Tick 1: nothing cached, a plain read; daily at 03:00.
    listing(scope);
    scope
      .get(CONFIG_ROUTE)
      .reply(200, contents("scan:\n  schedule: '0 3 * * *'\n", 'a1'), { ETag: 'W/"etag-1"' });
    const first = await tick(configs, queue, new Date('2026-12-06T10:00:00Z'));
    expect(first.targets.map((t) => t.schedule)).toEqual(['0 3 * * *']);
    expect(first.fired).toEqual([`scan-schedule:${OWNER}/shop:2026-12-06t03:00:00.000z`]);

    // Tick 2, the next day: the config is unchanged, GitHub says 304 (no rate limit spent),
    // and the cached schedule still fires the new period.
    listing(scope);
    scope.get(CONFIG_ROUTE).reply(304, '', { ETag: 'W/"etag-1"' });
    const second = await tick(configs, queue, new Date('2026-12-07T10:00:00Z'));
    expect(second.targets.map((t) => t.schedule)).toEqual(['0 3 * * *']);
    expect(second.fired).toEqual([`scan-schedule:${OWNER}/shop:2026-12-07t03:00:00.000z`]);

    // Tick 3, same day: the schedule changed to hourly; the new ETag's answer is read,
    // parsed, and its period fires now.
    listing(scope);
    scope
      .get(CONFIG_ROUTE)
      .reply(200, contents("scan:\n  schedule: '0 * * * *'\n", 'b2'), { ETag: 'W/"etag-2"' });
    const third = await tick(configs, queue, new Date('2026-12-07T10:30:00Z'));
    expect(third.targets.map((t) => t.schedule)).toEqual(['0 * * * *']);
    expect(third.fired).toEqual([`scan-schedule:${OWNER}/shop:2026-12-07t10:00:00.000z`]);

    // Tick 4: the schedule removed; a 200 again, and nothing fires.
    listing(scope);
    scope.get(CONFIG_ROUTE).reply(200, contents('scan:\n  notify_at: low\n', 'c3'), {
      ETag: 'W/"etag-3"',
    });
    const fourth = await tick(configs, queue, new Date('2026-12-07T11:30:00Z'));
    expect(fourth.targets).toEqual([]);
    expect(fourth.fired).toEqual([]);

    expect(etags).toEqual([undefined, 'W/"etag-1"', 'W/"etag-1"', 'W/"etag-2"']);
  });

  it('keeps nothing for a repository without a config: each tick asks afresh, and a new one is seen', async () => {
    const { scope } = githubApi();
    const configs = new ScanConfigCache(10);
    const queue = new Map<string, DeliveryJob>();
    const conditional: boolean[] = [];
    scope.on('request', (request: Parameters<typeof headerOf>[0]) => {
      if (new URL(request.url).pathname.startsWith(`/repos/${OWNER}/shop/contents`))
        conditional.push(headerOf(request, 'if-none-match') !== undefined);
    });
    listing(scope);
    scope.get(CONFIG_ROUTE).reply(404, { message: 'Not Found', status: '404' });
    expect((await tick(configs, queue, new Date('2026-12-06T10:00:00Z'))).targets).toEqual([]);
    expect(configs.size).toBe(0);
    listing(scope);
    scope
      .get(CONFIG_ROUTE)
      .reply(200, contents("scan:\n  schedule: '0 3 * * *'\n", 'd4'), { ETag: '"etag-4"' });
    const added = await tick(configs, queue, new Date('2026-12-06T11:00:00Z'));
    expect(added.fired).toEqual([`scan-schedule:${OWNER}/shop:2026-12-06t03:00:00.000z`]);
    expect(conditional).toEqual([false, false]);
  });

  it('is bounded: past its size the least recently used repository goes first', () => {
    const configs = new ScanConfigCache(2);
    configs.set('a/one', { etag: '"1"', schedule: undefined });
    configs.set('a/two', { etag: '"2"', schedule: '0 3 * * *' });
    expect(configs.get('a/one')?.etag).toBe('"1"');
    configs.set('a/three', { etag: '"3"', schedule: undefined });
    expect(configs.size).toBe(2);
    expect(configs.get('a/two')).toBeUndefined();
    expect(configs.get('a/one')?.etag).toBe('"1"');
    expect(() => new ScanConfigCache(0)).toThrow(RangeError);
  });
});
