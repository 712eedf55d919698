import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { verify } from '@octokit/webhooks-methods';
import { jobEnqueueInput } from '../src/jobs/job-enqueue-input.js';
import type { Job } from '../src/jobs/job.js';
import { BullmqJobStore } from '../src/queue/bullmq-job-store.js';
import { SqliteJobStore } from '../src/queue/sqlite-job-store.js';
import type { JobStore } from '../src/queue/types.js';
import { intakeDelivery } from '../src/triggers/webhook-intake.js';
import { HAS_REDIS, startRedis } from '../test/support/redis-server.js';
import { median, percentile, round, type BenchResult } from './bench-result.js';
import { payload } from './webhook-ack.js';
import { startAckClient, type AckRun } from './webhook-ack-client.js';

const SECRET = 'bench-webhook-secret-0123456789';
const N = 300;
const CPU_SAMPLES = 3000;

/**
 * Where an acknowledgement's time goes, stage by stage (docs/queue.md): the CPU of the
 * signature check and of parsing and filtering the delivery; the durable insert, 300 at
 * once, on each backend; and the floor under all of it, the same sender
 * (webhook-ack-client.ts, its own process) against a server that answers at once, with
 * that server's CPU per request (compare with the intake thread's in the busy bench).
 */
export async function benchWebhookAckStages(): Promise<BenchResult[]> {
  const bodies = Array.from({ length: CPU_SAMPLES }, (_, n) => JSON.stringify(payload(n)));
  const signatures = bodies.map(
    (body) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  );
  const perCall = async (work: (n: number) => unknown): Promise<number> => {
    const started = performance.now();
    for (let n = 0; n < CPU_SAMPLES; n++) await work(n);
    return ((performance.now() - started) / CPU_SAMPLES) * 1000;
  };
  const results: BenchResult[] = [
    {
      name: 'stage: signature check (HMAC-SHA256), per delivery',
      value: round(await perCall((n) => verify(SECRET, bodies[n]!, signatures[n]!)), 1),
      unit: 'µs',
    },
    {
      name: 'stage: JSON.parse + event filter, per delivery',
      value: round(
        await perCall((n) =>
          intakeDelivery(
            { log: () => undefined, submit: () => Promise.reject(new Error('not stored')) },
            { id: String(n), name: 'star', payload: JSON.parse(bodies[n]!) as unknown },
          ),
        ),
        1,
      ),
      unit: 'µs',
    },
  ];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-stages-'));
  try {
    const sqlite = SqliteJobStore.open<Job>({ path: path.join(dir, 'queue.sqlite') });
    results.push(...(await concurrentEnqueues('sqlite', sqlite)));
    await sqlite.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (HAS_REDIS) {
    const redis = await startRedis({ appendonly: true });
    try {
      const store = await BullmqJobStore.open<Job>({ url: redis.url, stalledCheck: false });
      results.push(...(await concurrentEnqueues('redis', store)));
      await store.close();
    } finally {
      await redis.stop();
    }
  }
  results.push(...(await httpFloor()));
  return results;
}

/** 300 enqueues asked for in one turn: when the last resolves, and the loop's busy share. */
async function concurrentEnqueues(backend: string, store: JobStore<Job>): Promise<BenchResult[]> {
  const times: number[] = [];
  const blocked: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    const pending = Array.from({ length: N }, (_, n) =>
      store.enqueue(
        jobEnqueueInput({
          deliveryId: randomUUID(),
          job: {
            kind: 'delivery',
            repo: { owner: 'octocat', repo: 'hello-world', installationId: 42 },
            eventName: 'issue_comment',
            payload: payload(round * N + n),
          },
        }),
      ),
    );
    blocked.push(performance.now() - started);
    await Promise.all(pending);
    times.push(performance.now() - started);
  }
  return [
    {
      name: `stage: ${backend} insert, ${N} at once: all stored`,
      value: round(median(times)),
      unit: 'ms',
      note: `median of 3; ${round(median(blocked))} ms of it synchronous`,
    },
  ];
}

/** The same sender against a server that answers 200 at once: what HTTP alone costs here. */
async function httpFloor(): Promise<BenchResult[]> {
  const server = createServer((request, response) => {
    request.resume();
    request.once('end', () => response.writeHead(200).end('ok\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const client = startAckClient();
  try {
    const results: BenchResult[] = [];
    for (const mode of ['burst', 'rate'] as const) {
      const runs: AckRun[] = [];
      const cpuBefore = process.threadCpuUsage();
      for (let round = 0; round < 3; round++) {
        runs.push(
          await client.run(
            mode === 'burst'
              ? { mode, url, secret: SECRET, count: N, offset: 0 }
              : { mode, url, secret: SECRET, count: N, offset: 0, overMs: 1000 },
          ),
        );
      }
      const cpu = process.threadCpuUsage(cpuBefore);
      const times = runs.flatMap((run) => run.times);
      const label = mode === 'burst' ? `${N} at once` : `${N} over 1 s`;
      results.push({
        name: `floor: no-op HTTP server, ${label}: p99`,
        value: round(percentile(times, 0.99)),
        unit: 'ms',
        note: `p50 ${round(median(times))} ms`,
      });
      results.push({
        name: `floor: no-op HTTP server, ${label}: its CPU per request`,
        value: round((cpu.user + cpu.system) / times.length / 1000, 3),
        unit: 'ms',
      });
    }
    return results;
  } finally {
    client.stop();
    await new Promise((resolve) => server.close(resolve));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchWebhookAckStages())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
