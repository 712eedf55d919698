import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobEvent } from '../queue/job-events.js';
import type { JobStatus, JobStore } from '../queue/types.js';
import type { HttpReply, WebhookAck } from './intake-thread-protocol.js';

const STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'superseded'];

/**
 * The App's Prometheus metrics, on a registry of its own (no process-wide default
 * registry: two Apps in one process, as in the tests, keep separate counts). Queue sizes
 * are read from the store at scrape time, so every instance reports the shared queue;
 * the counters are this instance's.
 */
export function createAppMetrics(deps: {
  readonly store: Pick<JobStore, 'counts'>;
  readonly runningHere: () => number;
  readonly backend: string;
}) {
  const registry = new Registry();
  new Gauge({
    name: 'patchling_jobs',
    help: 'Jobs in the queue by status (the whole queue, shared by every instance).',
    labelNames: ['status', 'backend'],
    registers: [registry],
    async collect() {
      const counts = await deps.store.counts();
      for (const status of STATUSES) this.set({ status, backend: deps.backend }, counts[status]);
    },
  });
  new Gauge({
    name: 'patchling_jobs_running_here',
    help: 'Jobs this instance is running.',
    registers: [registry],
    collect() {
      this.set(deps.runningHere());
    },
  });
  const finished = new Counter({
    name: 'patchling_job_outcomes_total',
    help: 'Job attempts ended by this instance, by kind and outcome.',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'patchling_job_duration_seconds',
    help: 'How long job attempts ran, by kind and outcome.',
    labelNames: ['kind', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800],
    registers: [registry],
  });
  const modelRetries = new Counter({
    name: 'patchling_model_retries_total',
    help: 'Model requests retried, by reason (rate_limit, transient).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const rateLimitWait = new Counter({
    name: 'patchling_rate_limit_wait_seconds_total',
    help: 'Time spent waiting on rate limits, by source (model, github, github_secondary).',
    labelNames: ['source'],
    registers: [registry],
  });
  const acks = new Histogram({
    name: 'patchling_webhook_ack_seconds',
    help: 'Webhook requests, from arrival to the end of the answer, by status (the intake thread).',
    labelNames: ['status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const intakeCpu = new Counter({
    name: 'patchling_webhook_intake_cpu_seconds_total',
    help: 'CPU used by the webhook intake thread.',
    registers: [registry],
  });
  let intakeCpuSeen = 0;

  return {
    registry,
    onWebhookAck(ack: WebhookAck): void {
      acks.observe({ status: String(ack.status) }, ack.ms / 1000);
      if (ack.threadCpuMicros > intakeCpuSeen) {
        intakeCpu.inc((ack.threadCpuMicros - intakeCpuSeen) / 1e6);
        intakeCpuSeen = ack.threadCpuMicros;
      }
    },
    onJobEvent(event: JobEvent): void {
      if (event.type === 'store-error' || event.type === 'claimed') return;
      const labels = { kind: event.job.kind, outcome: event.type };
      finished.inc(labels);
      if ('durationMs' in event) duration.observe(labels, event.durationMs / 1000);
    },
    onModelRetry(retry: { readonly kind: string; readonly delayMs: number }): void {
      modelRetries.inc({ kind: retry.kind });
      if (retry.kind === 'rate_limit') rateLimitWait.inc({ source: 'model' }, retry.delayMs / 1000);
    },
    onGitHubRateLimit(source: 'github' | 'github_secondary', waitSeconds: number): void {
      rateLimitWait.inc({ source }, Math.max(0, waitSeconds));
    },
    /** The answer to GET /metrics. */
    async reply(): Promise<HttpReply> {
      try {
        const body = await registry.metrics();
        return { status: 200, headers: { 'content-type': registry.contentType }, body };
      } catch (error) {
        return {
          status: 503,
          headers: { 'content-type': 'text/plain' },
          body: `metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`,
        };
      }
    },
  };
}

export type AppMetrics = ReturnType<typeof createAppMetrics>;

/** /healthz: 200 when the queue's backend answers, 503 (with why) when it does not. */
export async function healthReply(
  store: Pick<JobStore, 'ping'>,
  backend: string,
): Promise<HttpReply> {
  const headers = { 'content-type': 'application/json' };
  try {
    await store.ping();
    const body = JSON.stringify({ status: 'ok', queue: { backend, status: 'ok' } });
    return { status: 200, headers, body };
  } catch (error) {
    const body = JSON.stringify({
      status: 'unavailable',
      queue: {
        backend,
        status: 'unavailable',
        error: error instanceof Error ? error.message : String(error),
      },
    });
    return { status: 503, headers, body };
  }
}
