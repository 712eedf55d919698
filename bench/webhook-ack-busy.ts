import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Job } from '../src/jobs/job.js';
import type { JobHandler } from '../src/queue/execute-job.js';
import type { WebhookAck } from '../src/triggers/intake-thread-protocol.js';
import { startAppServer, type AppServer } from '../src/triggers/app-server.js';
import { HAS_REDIS, startRedis } from '../test/support/redis-server.js';
import { testModelConfig } from '../test/support/test-model-config.js';
import { median, percentile, round, type BenchResult } from './bench-result.js';
import { startAckClient, type AckClient, type AckPlan } from './webhook-ack-client.js';

const SECRET = 'bench-webhook-secret-0123456789';
const DELIVERIES = 300;
const ROUNDS = 3;
const WORKERS = 4;
const SUSTAINED_MS = 1000;

/**
 * Webhook acknowledgement with the workers busy, for both queue backends. Four stand-in
 * reviews run the whole time (each records its progress once, as a real one records its
 * check run, then does 2 ms of synchronous work every 20 ms; see docs/queue.md for what a
 * real review costs the main thread), while 300 signed deliveries arrive over real HTTP
 * from a separate process (bench/webhook-ack-client.ts), each on its own connection:
 * - burst: all 300 started at the same instant (a worst case GitHub does not produce);
 * - sustained: 300 over one second, each on schedule (deliveries as events happen).
 * Latency is the sender's, from a request's start to its response's end.
 */
export async function benchWebhookAckBusy(): Promise<BenchResult[]> {
  const client = startAckClient();
  const results: BenchResult[] = [
    {
      name: `load average (1 min) at start, ${os.availableParallelism()} CPUs`,
      value: round(os.loadavg()[0] ?? 0),
      unit: '',
    },
  ];
  try {
    results.push(...(await measure(client, 'sqlite')));
    if (HAS_REDIS) {
      const redis = await startRedis({ appendonly: true });
      try {
        results.push(...(await measure(client, 'redis', redis.url)));
      } finally {
        await redis.stop();
      }
    } else {
      results.push({ name: 'redis: skipped (no redis-server)', value: 0, unit: '' });
    }
  } finally {
    client.stop();
  }
  results.push({
    name: 'load average (1 min) at end',
    value: round(os.loadavg()[0] ?? 0),
    unit: '',
  });
  return results;
}

async function measure(
  client: AckClient,
  backend: 'sqlite' | 'redis',
  queueUrl?: string,
): Promise<BenchResult[]> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-busy-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let stopping = false;
  const acks: WebhookAck[] = [];
  // A stand-in review: it holds its worker, writes progress, and burns a little CPU.
  const runJob: JobHandler<Job> = async (job, signal) => {
    if (job.kind !== 'review') return; // deliveries stored by the burst: nothing to do
    await server.store.setProgress(job.id, { check_run: 1 });
    while (!stopping && !signal.aborted) {
      busyWait(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const server: AppServer = await startAppServer({
    config: {
      appId: 1,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      webhookSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      webhookPath: '/api/github/webhooks',
      commandName: 'patchling',
      concurrency: WORKERS,
      perInstallationConcurrency: WORKERS,
      jobTimeoutMs: 600_000,
      maxTurns: 10,
      githubApiUrl: 'https://api.github.invalid',
      cloneBaseUrl: 'https://github.invalid',
      ...(queueUrl === undefined ? {} : { queueUrl }),
    },
    modelConfig: testModelConfig('http://127.0.0.1:9/v1', 'responses'),
    stateDir,
    env: {},
    log: () => undefined,
    onWebhookAck: (ack) => acks.push(ack),
    runJob,
  });
  try {
    for (let i = 0; i < WORKERS; i++) {
      await server.store.enqueue({ deliveryId: `busy-${i}`, kind: 'review', payload: review(i) });
    }
    server.pool.notify();
    while (server.pool.runningIds().length < WORKERS) await sleep(10);

    const url = `${server.url}/api/github/webhooks`;
    const results: BenchResult[] = [];
    let offset = 0;
    for (const mode of ['burst', 'sustained'] as const) {
      const times: number[] = [];
      let wallMs = 0;
      let lagMs = 0;
      acks.length = 0;
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      for (let round = 0; round < ROUNDS; round++) {
        const plan: AckPlan =
          mode === 'burst'
            ? { mode: 'burst', url, secret: SECRET, count: DELIVERIES, offset }
            : {
                mode: 'rate',
                url,
                secret: SECRET,
                count: DELIVERIES,
                overMs: SUSTAINED_MS,
                offset,
              };
        offset += DELIVERIES;
        const run = await client.run(plan);
        times.push(...run.times);
        wallMs += run.wallMs;
        lagMs = Math.max(lagMs, run.maxStartLagMs);
        await sleep(200);
      }
      loopDelay.disable();
      while (acks.length < DELIVERIES * ROUNDS) await sleep(10);
      const served = acks.map((ack) => ack.ms);
      const cpuMicros =
        Math.max(...acks.map((a) => a.threadCpuMicros)) -
        Math.min(...acks.map((a) => a.threadCpuMicros));
      const busy = server.pool.runningIds().length;
      const label =
        mode === 'burst'
          ? `${backend}, ${DELIVERIES} at once`
          : `${backend}, ${DELIVERIES} over ${SUSTAINED_MS / 1000} s`;
      results.push(
        {
          name: `${label}: ack p50 (${busy} reviews running)`,
          value: round(median(times)),
          unit: 'ms',
        },
        {
          name: `${label}: ack p99`,
          value: round(percentile(times, 0.99)),
          unit: 'ms',
          note: 'target < 50 ms',
        },
        { name: `${label}: ack max`, value: round(Math.max(...times)), unit: 'ms' },
        {
          name: `${label}: acknowledged per second`,
          value: Math.round((DELIVERIES * ROUNDS) / (wallMs / 1000)),
          unit: '/s',
        },
        {
          name: `${label}: in the intake, arrival to answer, p99`,
          value: round(percentile(served, 0.99)),
          unit: 'ms',
          note: `p50 ${round(median(served))} ms`,
        },
        {
          name: `${label}: intake thread CPU per delivery`,
          value: round(cpuMicros / (acks.length - 1) / 1000, 3),
          unit: 'ms',
        },
        {
          name: `${label}: main thread (jobs) event-loop delay p99`,
          value: round(loopDelay.percentile(99) / 1e6),
          unit: 'ms',
          ...(lagMs > 5 ? { note: `the sender started up to ${round(lagMs)} ms late` } : {}),
        },
      );
    }
    return results;
  } finally {
    stopping = true;
    await server.close({ graceMs: 5000 });
    await rm(stateDir, { recursive: true, force: true });
  }
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Synchronous work, as a diff parse or a JSON.parse of a large stream chunk is.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function review(n: number): Job {
  return {
    kind: 'review',
    repo: { owner: 'octocat', repo: 'hello-world', installationId: 42 },
    pullNumber: n + 1,
    headSha: 'a'.repeat(40),
    requester: { login: 'octocat', type: 'User' },
    trigger: 'pull_request',
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchWebhookAckBusy())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
