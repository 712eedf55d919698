import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  expectGitHubMockSettled,
  makeStateDir,
  startGitHubMock,
  startTestApp,
  type AppHarness,
  type GitHubMock,
} from '../support/app-harness.js';
import { TEST_INSTALLATION } from '../support/webhook-payloads.js';

const OWNER = 'octo-org';
let github: GitHubMock;
let app: AppHarness | undefined;
let stateDir: string;

beforeEach(async () => {
  github = startGitHubMock();
  stateDir = await makeStateDir();
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await rm(stateDir, { recursive: true, force: true });
  expectGitHubMockSettled(github);
});

/** One tick's worth of GitHub: the installations, their repositories, and their configs. */
function oneTick() {
  github.scope
    .get('/app/installations')
    .query({ per_page: '100', page: '1' })
    .reply(200, [{ id: TEST_INSTALLATION.id, account: { login: OWNER } }]);
  github.scope
    .get('/installation/repositories')
    .query({ per_page: '100', page: '1' })
    .reply(200, {
      total_count: 3,
      repositories: [
        { name: 'shop', owner: { login: OWNER }, default_branch: 'main', archived: false },
        { name: 'docs', owner: { login: OWNER }, default_branch: 'main', archived: false },
        { name: 'old', owner: { login: OWNER }, default_branch: 'main', archived: true },
      ],
    });
  // Yearly, on 1 January: whenever the test runs, its period is this year's.
  github.repoConfig(OWNER, 'shop', "scan:\n  schedule: '0 0 1 1 *'\n");
  github.repoConfig(OWNER, 'docs');
}

async function waitForLog(harness: AppHarness, msg: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const found = harness.logs.find((entry) => entry.msg === msg);
    if (found) return found;
    await sleep(25);
  }
  throw new Error(`no log ${msg}: ${JSON.stringify(harness.logs)}`);
}

describe('the App scan timer', () => {
  it('queues each scheduled repository once per period, across a restart', async () => {
    github.installationAuth(TEST_INSTALLATION.id);
    oneTick();
    app = await startTestApp({ stateDir, startWorkers: false, config: { scanTimerMs: 3_600_000 } });
    const queued = await waitForLog(app, 'scheduled scan queued');
    const period = `${new Date().getUTCFullYear()}-01-01t00:00:00.000z`;
    expect(queued.deliveryId).toBe(`scan-schedule:${OWNER}/shop:${period}`);
    await app.close();

    // The restarted App ticks at once: same period, nothing new in the queue.
    oneTick();
    app = await startTestApp({ stateDir, startWorkers: false, config: { scanTimerMs: 3_600_000 } });
    // Wait for the tick to have read the configs (the last mock it uses).
    for (let i = 0; i < 400 && github.scope.pendingMocks().some((m) => m.includes('docs')); i++) {
      await sleep(25);
    }
    await app.close();
    const reopened = await startTestApp({ stateDir, startWorkers: false });
    const jobs = await reopened.server.store.list();
    await reopened.close();
    app = undefined;
    expect(jobs.map((job) => [job.kind, job.deliveryId])).toEqual([
      ['delivery', `scan-schedule:${OWNER}/shop:${period}`],
    ]);
    expect(jobs[0]?.payload).toMatchObject({
      eventName: 'patchling.configured_schedule',
      repo: { owner: OWNER, repo: 'shop' },
    });
  }, 60_000);
});
