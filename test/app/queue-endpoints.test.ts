/**
 * What an operator sees of the queue: /healthz reports the backend and its health,
 * /metrics the queue in Prometheus text; on Redis a delivery is in Redis before GitHub
 * gets its answer, and no answer says "stored" while Redis is down.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import { isTransientJobError } from '../../src/triggers/app-queue.js';
import { GitHubRateLimitError } from '../../src/github/errors.js';
import { SystemError, UserError } from '../../src/errors.js';
import { startTestApp, type AppHarness } from '../support/app-harness.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { webhookPayload } from '../support/webhook-payloads.js';

let app: AppHarness | undefined;
let redis: RedisServer | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  await redis?.stop();
  redis = undefined;
});

const comment = () =>
  webhookPayload('issue_comment', 'created', { comment: { body: '/patchling help' } });

describe('the queue endpoints', () => {
  it('on SQLite: /healthz names the backend, /metrics counts the stored delivery', async () => {
    app = await startTestApp({ startWorkers: false });
    expect((await app.deliver('issue_comment', comment())).status).toBe(200);

    const health = await fetch(`${app.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      queue: { backend: 'sqlite', status: 'ok' },
    });

    const metrics = await fetch(`${app.server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toContain('# TYPE patchling_jobs gauge');
    expect(text).toContain('patchling_jobs{status="queued",backend="sqlite"} 1');
    expect(text).toContain('patchling_jobs_running_here 0');
    expect(text).toContain('# TYPE patchling_job_duration_seconds histogram');
    expect(text).toContain('# TYPE patchling_model_retries_total counter');
    expect(text).toContain('# TYPE patchling_rate_limit_wait_seconds_total counter');
    // The intake thread reports each answered webhook once its answer is out: a scrape
    // right after may come first, so scrape until it is counted.
    await vi.waitFor(
      async () => {
        const scraped = await (await fetch(`${app!.server.url}/metrics`)).text();
        expect(scraped).toContain('patchling_webhook_ack_seconds_count{status="200"} 1');
        expect(scraped).toMatch(
          /^patchling_webhook_intake_cpu_seconds_total \d+(\.\d+)?(e-\d+)?$/m,
        );
        expect(scraped).not.toMatch(/^patchling_webhook_intake_cpu_seconds_total 0$/m);
      },
      { timeout: 10_000 },
    );
  });

  it.skipIf(!HAS_REDIS)(
    'on Redis: the delivery is in Redis before the 200, a redelivery adds nothing, and a Redis outage is a 503 and no acknowledgement',
    async () => {
      redis = await startRedis({ appendonly: true });
      app = await startTestApp({ startWorkers: false, config: { queueUrl: redis.url } });
      expect(app.server.backend).toBe('redis');
      const deliveryId = randomUUID();
      expect((await app.deliver('issue_comment', comment(), { deliveryId })).status).toBe(200);
      expect((await app.deliver('issue_comment', comment(), { deliveryId })).status).toBe(200);

      // Another instance (a fresh connection) sees it at once.
      const other = await BullmqJobStore.open<Job>({ url: redis.url });
      try {
        expect(await other.getByDelivery(deliveryId)).toMatchObject({
          kind: 'delivery',
          status: 'queued',
        });
        expect((await other.counts()).queued).toBe(1);
      } finally {
        await other.close();
      }
      const health = await fetch(`${app.server.url}/healthz`);
      expect(await health.json()).toEqual({
        status: 'ok',
        queue: { backend: 'redis', status: 'ok' },
      });
      expect(await (await fetch(`${app.server.url}/metrics`)).text()).toContain(
        'patchling_jobs{status="queued",backend="redis"} 1',
      );

      // Redis goes away: health says so, and a delivery is not acknowledged.
      await redis.stop();
      redis = undefined;
      const down = await fetch(`${app.server.url}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'unavailable',
        queue: { backend: 'redis', status: 'unavailable' },
      });
      const refused = await app.deliver('issue_comment', comment());
      expect(refused.status).toBeGreaterThanOrEqual(500);
    },
    60_000,
  );
});

describe('which job failures the queue retries', () => {
  const requestError = (status: number, message = 'x', headers: Record<string, string> = {}) =>
    Object.assign(new Error(message), { status, response: { headers } });

  it('retries GitHub 5xx, network failures (500), 429 and the secondary rate limit', () => {
    expect(isTransientJobError(requestError(502, 'Bad Gateway'))).toBe(true);
    expect(isTransientJobError(requestError(500, 'fetch failed: ECONNRESET'))).toBe(true);
    expect(isTransientJobError(requestError(429))).toBe(true);
    expect(isTransientJobError(requestError(403, 'You have exceeded a secondary rate limit'))).toBe(
      true,
    );
    expect(isTransientJobError(requestError(403, 'x', { 'retry-after': '60' }))).toBe(true);
    expect(
      isTransientJobError(
        new GitHubRateLimitError('limited', { kind: 'secondary', status: 403, cause: null }),
      ),
    ).toBe(true);
    // Wrapped by a job: the cause still counts.
    expect(isTransientJobError(new Error('review failed', { cause: requestError(503) }))).toBe(
      true,
    );
    expect(isTransientJobError(new SystemError('disk hiccup', { retryable: true }))).toBe(true);
  });

  it('does not retry what a retry cannot fix', () => {
    expect(isTransientJobError(requestError(404, 'Not Found'))).toBe(false);
    expect(isTransientJobError(requestError(403, 'Resource not accessible by integration'))).toBe(
      false,
    );
    expect(isTransientJobError(requestError(422, 'Validation Failed'))).toBe(false);
    expect(isTransientJobError(new UserError('bad config'))).toBe(false);
    expect(isTransientJobError(new Error('a bug'))).toBe(false);
  });
});
