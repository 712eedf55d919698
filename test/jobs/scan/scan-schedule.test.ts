import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { routeEvent } from '../../../src/jobs/route.js';
import {
  currentPeriod,
  fireScheduledScans,
  type ScheduledRepository,
} from '../../../src/jobs/scan/scan-schedule.js';
import { parseRepoConfig } from '../../../src/jobs/repo-config.js';
import { SqliteJobStore } from '../../../src/queue/sqlite-job-store.js';
import { jobEnqueueInput } from '../../../src/jobs/job-enqueue-input.js';
import type { Job } from '../../../src/jobs/job.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const WEEKLY: ScheduledRepository = {
  repo: { owner: 'octo-org', repo: 'shop', installationId: 7 },
  defaultBranch: 'refs/heads/main',
  schedule: '0 3 * * MON',
};

describe('currentPeriod', () => {
  it('is the latest firing at or before now, in UTC', () => {
    expect(currentPeriod('0 3 * * MON', new Date('2026-12-07T03:00:00Z')).toISOString()).toBe(
      '2026-12-07T03:00:00.000Z',
    );
    expect(currentPeriod('0 3 * * MON', new Date('2026-12-07T02:59:59Z')).toISOString()).toBe(
      '2026-11-30T03:00:00.000Z',
    );
    expect(currentPeriod('0 3 * * MON', new Date('2026-12-10T18:00:00Z')).toISOString()).toBe(
      '2026-12-07T03:00:00.000Z',
    );
  });
});

describe('the scan schedule', () => {
  it('fires once per repository per period, across a restart of the process', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-schedule-'));
    dirs.push(dir);
    const queue = path.join(dir, 'queue.sqlite');
    let clock = new Date('2026-12-07T03:00:30Z');
    const tick = (store: SqliteJobStore<Job>) =>
      fireScheduledScans({
        targets: [WEEKLY],
        submit: (input) => store.enqueue(jobEnqueueInput(input)),
        now: () => clock,
      });

    let store = SqliteJobStore.open<Job>({ path: queue });
    expect((await tick(store)).fired).toEqual([
      'scan-schedule:octo-org/shop:2026-12-07t03:00:00.000z',
    ]);
    clock = new Date('2026-12-07T03:10:30Z');
    expect(await tick(store)).toMatchObject({
      fired: [],
      alreadyFired: ['scan-schedule:octo-org/shop:2026-12-07t03:00:00.000z'],
    });
    await store.close();

    // A restart (a new process on the same queue): the period's scan is not fired again.
    store = SqliteJobStore.open<Job>({ path: queue });
    clock = new Date('2026-12-09T12:00:00Z');
    expect((await tick(store)).fired).toEqual([]);
    // The next period fires once.
    clock = new Date('2026-12-14T03:01:00Z');
    expect((await tick(store)).fired).toEqual([
      'scan-schedule:octo-org/shop:2026-12-14t03:00:00.000z',
    ]);
    expect((await tick(store)).fired).toEqual([]);

    const jobs = await store.list();
    expect(jobs.map((job) => job.kind)).toEqual(['delivery', 'delivery']);
    await store.close();

    // What the worker routes each delivery to: a scan of the default branch.
    const config = parseRepoConfig("scan:\n  schedule: '0 3 * * MON'\n");
    if (!config.ok) throw new Error('config');
    const first = jobs[0];
    if (first?.payload.kind !== 'delivery') throw new Error('not a delivery');
    const decision = routeEvent({
      name: first.payload.eventName,
      payload: first.payload.payload,
      config: config.config,
      botLogin: 'patchling[bot]',
      commandName: 'patchling',
      installationId: 7,
    });
    expect(decision).toEqual({
      action: 'run',
      job: {
        kind: 'scan',
        repo: WEEKLY.repo,
        ref: 'refs/heads/main',
        trigger: 'configured_schedule',
      },
    });
  });

  it('names a repository whose schedule cannot be read, and fires the others', async () => {
    const submitted: string[] = [];
    const result = await fireScheduledScans({
      targets: [{ ...WEEKLY, schedule: 'every monday' }, WEEKLY],
      submit: (input) => {
        submitted.push(input.deliveryId);
        return Promise.resolve({ duplicate: false });
      },
      now: () => new Date('2026-12-08T00:00:00Z'),
    });
    expect(result.problems).toEqual([expect.stringMatching(/^octo-org\/shop: /)]);
    expect(submitted).toEqual(['scan-schedule:octo-org/shop:2026-12-07t03:00:00.000z']);
  });
});
