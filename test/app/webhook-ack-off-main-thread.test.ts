/**
 * The acknowledgement must not wait on job work. Here a job blocks the App's main thread
 * outright (a synchronous call that returns only when a webhook was answered): the only
 * way the webhook can be answered meanwhile is if the intake does not need that thread.
 * No timing bound: with the intake on the main thread this test cannot pass at all.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import type { JobHandler } from '../../src/queue/execute-job.js';
import { startAppServer, type AppServer } from '../../src/triggers/app-server.js';
import { appConfig, makeStateDir, signWebhook, WEBHOOK_PATH } from '../support/app-harness.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { testModelConfig } from '../support/test-model-config.js';
import { webhookPayload } from '../support/webhook-payloads.js';

/** Sends one signed delivery from another process; prints the status, or "none" on a timeout. */
const SENDER = `
const [url, body, signature, id] = process.argv.slice(1);
fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-github-event': 'issues',
    'x-github-delivery': id, 'x-hub-signature-256': signature },
  body, signal: AbortSignal.timeout(30000),
}).then((r) => console.log(r.status), () => console.log('none'));
`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function blockedWhileDelivering(queueUrl?: string) {
  const stateDir = await makeStateDir();
  cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
  const payload = webhookPayload('issues', 'opened');
  const body = JSON.stringify(payload);
  const deliveryId = randomUUID();
  let answered: string | undefined;
  let server: AppServer | undefined = undefined;
  // A review that holds the main thread until a webhook sent meanwhile has its answer.
  const runJob: JobHandler<Job> = (job) => {
    if (job.kind !== 'review' || !server) return Promise.resolve();
    answered = execFileSync(
      process.execPath,
      ['-e', SENDER, `${server.url}${WEBHOOK_PATH}`, body, signWebhook(body), deliveryId],
      { encoding: 'utf8', timeout: 60_000 },
    ).trim();
    return Promise.resolve();
  };
  server = await startAppServer({
    config: appConfig(queueUrl === undefined ? {} : { queueUrl }),
    modelConfig: testModelConfig('http://127.0.0.1:9/v1', 'responses'),
    stateDir,
    env: {},
    log: () => undefined,
    runJob,
  });
  const app = server;
  cleanup.push(() => app.close({ graceMs: 1000 }));
  await app.store.enqueue({
    deliveryId: `review-${randomUUID()}`,
    kind: 'review',
    payload: {
      kind: 'review',
      repo: { owner: 'octocat', repo: 'hello-world', installationId: 42 },
      pullNumber: 1,
      headSha: 'a'.repeat(40),
      requester: { login: 'octocat', type: 'User' },
      trigger: 'pull_request',
    },
  });
  app.pool.notify();
  const deadline = Date.now() + 60_000;
  while (answered === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { answered, stored: await app.store.getByDelivery(deliveryId), payload };
}

describe('the webhook acknowledgement', () => {
  it('is given while a job blocks the main thread (SQLite)', async () => {
    const { answered, stored, payload } = await blockedWhileDelivering();
    expect(answered).toBe('200');
    expect(stored).toMatchObject({
      kind: 'delivery',
      payload: { kind: 'delivery', eventName: 'issues', payload },
    });
  });

  it.skipIf(!HAS_REDIS)('is given while a job blocks the main thread (Redis)', async () => {
    const redis: RedisServer = await startRedis();
    cleanup.push(() => redis.stop());
    const { answered, stored, payload } = await blockedWhileDelivering(redis.url);
    expect(answered).toBe('200');
    expect(stored).toMatchObject({
      kind: 'delivery',
      payload: { kind: 'delivery', eventName: 'issues', payload },
    });
  });
});
