import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '../src/jobs/job.js';
import type { JobHandler } from '../src/queue/execute-job.js';
import { startAppServer, type AppServer } from '../src/triggers/app-server.js';
import { HAS_REDIS, startRedis } from '../test/support/redis-server.js';
import { testModelConfig } from '../test/support/test-model-config.js';
import { median, percentile, round, type BenchResult } from './bench-result.js';
import { payload } from './webhook-ack.js';

const SECRET = 'bench-webhook-secret-0123456789';
const BURST = 300;
const ROUNDS = 3;
const WORKERS = 4;

/**
 * Webhook acknowledgement with the workers busy, for both queue backends: four stand-in
 * reviews run the whole time (each records its progress once, as a real one records its
 * check run, then does 2 ms of synchronous work every 20 ms, as parsing a diff or a model
 * stream does; the pool heartbeats as usual), while bursts of 300 concurrent signed
 * deliveries arrive over real HTTP. Latency is from the request's start to the end of its
 * response; throughput is deliveries acknowledged per second of burst.
 */
export async function benchWebhookAckBusy(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  results.push(...(await measure('sqlite')));
  if (HAS_REDIS) {
    const redis = await startRedis({ appendonly: true });
    try {
      results.push(...(await measure('redis', redis.url)));
    } finally {
      await redis.stop();
    }
  } else {
    results.push({ name: 'redis: skipped (no redis-server)', value: 0, unit: '' });
  }
  return results;
}

async function measure(backend: 'sqlite' | 'redis', queueUrl?: string): Promise<BenchResult[]> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-busy-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let stopping = false;
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
    runJob,
  });
  try {
    for (let i = 0; i < WORKERS; i++) {
      await server.store.enqueue({
        deliveryId: `busy-${i}`,
        kind: 'review',
        payload: review(i),
      });
    }
    server.pool.notify();
    while (server.pool.runningIds().length < WORKERS) await sleep(10);

    const url = `${server.url}/api/github/webhooks`;
    const times: number[] = [];
    let burstMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const burst = await Promise.all(
        Array.from({ length: BURST }, (_, n) => send(url, round * BURST + n)),
      );
      burstMs += performance.now() - started;
      times.push(...burst);
      await sleep(200);
    }
    const busy = server.pool.runningIds().length;
    return [
      {
        name: `${backend}: ack p50 (${BURST} at once, ${busy} reviews running)`,
        value: round(median(times)),
        unit: 'ms',
      },
      {
        name: `${backend}: ack p99`,
        value: round(percentile(times, 0.99)),
        unit: 'ms',
        note: 'target < 50 ms',
      },
      { name: `${backend}: ack max`, value: round(Math.max(...times)), unit: 'ms' },
      {
        name: `${backend}: deliveries acknowledged per second`,
        value: Math.round((BURST * ROUNDS) / (burstMs / 1000)),
        unit: '/s',
      },
    ];
  } finally {
    stopping = true;
    await server.close({ graceMs: 5000 });
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function send(url: string, n: number): Promise<number> {
  const body = JSON.stringify(payload(n));
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  return performance.now() - started;
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
