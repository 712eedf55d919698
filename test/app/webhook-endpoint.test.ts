import { randomUUID } from 'node:crypto';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryJob } from '../../src/jobs/job.js';
import { rm } from 'node:fs/promises';
import {
  makeStateDir,
  signWebhook,
  startTestApp,
  type AppHarness,
} from '../support/app-harness.js';
import { TEST_INSTALLATION, webhookPayload } from '../support/webhook-payloads.js';

// The intake only stores: with the workers off, no request may leave for GitHub at all.
let app: AppHarness | undefined;

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  app = await startTestApp({ startWorkers: false });
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

function started(): AppHarness {
  if (!app) throw new Error('the App did not start');
  return app;
}

describe('the webhook endpoint', () => {
  it('stores a signed pull_request.opened once, and acknowledges quickly', async () => {
    const { deliver, server } = started();
    const payload = webhookPayload('pull_request', 'opened');

    const first = await deliver('pull_request', payload);
    expect(first.status).toBe(200);
    expect(first.elapsedMs).toBeLessThan(2000);

    const jobs = await server.store.list();
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job).toMatchObject({ kind: 'delivery', deliveryId: first.deliveryId, status: 'queued' });
    const delivery = job?.payload as DeliveryJob;
    expect(delivery).toEqual({
      kind: 'delivery',
      repo: { owner: 'Codertocat', repo: 'Hello-World', installationId: TEST_INSTALLATION.id },
      eventName: 'pull_request',
      payload,
    });
  });

  it('stores a redelivery (same X-GitHub-Delivery) only once', async () => {
    const { deliver, server } = started();
    const payload = webhookPayload('pull_request', 'opened');
    const first = await deliver('pull_request', payload);
    const again = await deliver('pull_request', payload, { deliveryId: first.deliveryId });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await server.store.list()).toHaveLength(1);
    // The intake thread's log lines reach the App's log as messages, which may come after
    // the answer: wait for the line, not for a time.
    await vi.waitFor(
      () =>
        expect(started().logs).toContainEqual(
          expect.objectContaining({
            msg: 'webhook redelivered, already stored',
            deliveryId: first.deliveryId,
          }),
        ),
      { timeout: 10_000 },
    );
  });

  it('refuses a wrong signature and stores nothing', async () => {
    const { deliver, server } = started();
    const payload = webhookPayload('pull_request', 'opened');
    const body = JSON.stringify(payload);
    const cases = [
      signWebhook(body, 'another-secret-of-16+chars'),
      // Right secret, different bytes: the signature covers the raw body.
      signWebhook(`${body} `),
      'sha256=0000',
      signWebhook(body).replace('sha256=', 'sha1='),
    ];
    for (const signature of cases) {
      const response = await deliver('pull_request', payload, { signature });
      expect(response.status, signature).toBeGreaterThanOrEqual(400);
      expect(response.status, signature).toBeLessThan(500);
    }
    expect(await server.store.list()).toEqual([]);
  });

  it("logs a refused signature as one JSON line through the App's log, without the payload", async () => {
    const { deliver, logs } = started();
    const payload = webhookPayload('pull_request', 'opened');
    const before = logs.length;
    const response = await deliver('pull_request', payload, {
      signature: signWebhook(JSON.stringify(payload), 'another-secret-of-16+chars'),
    });
    expect(response.status).toBe(400);
    await vi.waitFor(
      () =>
        expect(logs.slice(before)).toContainEqual(
          expect.objectContaining({
            msg: 'webhook refused',
            level: 'error',
            error: expect.stringMatching(/signature does not match/) as unknown,
          }),
        ),
      { timeout: 10_000 },
    );
    const written = logs.slice(before);
    for (const entry of written) {
      const line = JSON.stringify(entry);
      expect(line).not.toContain('\\n    at ');
      expect(line).not.toContain(payload.repository.full_name);
    }
  });

  it('refuses a webhook without a signature and stores nothing', async () => {
    const { deliver, server } = started();
    const response = await deliver('pull_request', webhookPayload('pull_request', 'opened'), {
      signature: null,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await server.store.list()).toEqual([]);
  });

  it('acknowledges an event Patchling does not act on, and stores nothing', async () => {
    const { deliver, server, logs } = started();
    const response = await deliver('star', webhookPayload('star', 'created'));
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(await server.store.list()).toEqual([]);
    await vi.waitFor(
      () =>
        expect(logs).toContainEqual(
          expect.objectContaining({ msg: 'webhook ignored', deliveryId: response.deliveryId }),
        ),
      { timeout: 10_000 },
    );
  });

  it('stores an event received through server.receive as well', async () => {
    const { server } = started();
    const id = randomUUID();
    const payload = webhookPayload('issue_comment', 'created', {
      comment: { body: '/patchling help' },
    });
    await server.receive({ id, name: 'issue_comment', payload });
    const jobs = await server.store.list();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      kind: 'delivery',
      deliveryId: id,
      status: 'queued',
      payload: { kind: 'delivery', eventName: 'issue_comment', payload },
    });
  });

  it('refuses to start on a port already taken, saying so', async () => {
    const { server } = started();
    const port = Number(new URL(server.url).port);
    const stateDir = await makeStateDir();
    try {
      await expect(startTestApp({ stateDir, config: { port } })).rejects.toThrow(
        /webhook intake could not start: .*EADDRINUSE/,
      );
      // The first App is untouched.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('answers 404 off the webhook path and 200 on /healthz, storing nothing', async () => {
    const { server } = started();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/elsewhere`, { method: 'POST' })).status).toBe(404);
    expect(await server.store.list()).toEqual([]);
  });
});
