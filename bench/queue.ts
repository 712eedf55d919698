import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReviewJob } from '../src/jobs/job.js';
import { jobEnqueueInput as jobInput } from '../src/jobs/job-enqueue-input.js';
import type { SqliteSynchronous } from '../src/queue/sqlite-schema.js';
import { SqliteJobStore } from '../src/queue/sqlite-job-store.js';
import { percentile, round, type BenchResult } from './bench-result.js';

const BACKLOG = 1000;
const SAMPLES = 1000;

/**
 * The durable part of acknowledging a webhook: enqueue into a queue that already holds
 * 1,000 jobs, on a real file in the temp dir. With synchronous=FULL each enqueue waits
 * for an fsync, so the figure says as much about the disk as about the code; NORMAL is
 * measured beside it to show what the fsync costs. Then claim + complete per job, the
 * queue's overhead on every run.
 */
export async function benchQueue(): Promise<BenchResult[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-queue-'));
  try {
    const full = await measureEnqueue(path.join(dir, 'full.sqlite'), 'FULL');
    const normal = await measureEnqueue(path.join(dir, 'normal.sqlite'), 'NORMAL');
    const setup = `${BACKLOG} jobs already queued, ${SAMPLES} samples, WAL, dir ${os.tmpdir()}`;
    return [
      {
        name: 'queue.enqueue.p50 (synchronous=FULL)',
        value: round(full.p50, 3),
        unit: 'ms',
        note: setup,
      },
      {
        name: 'queue.enqueue.p99 (synchronous=FULL)',
        value: round(full.p99, 3),
        unit: 'ms',
        note: 'target well under 50 ms',
      },
      { name: 'queue.enqueue.max (synchronous=FULL)', value: round(full.max, 3), unit: 'ms' },
      {
        name: 'queue.enqueue.duplicate.p50',
        value: round(full.duplicateP50, 3),
        unit: 'ms',
        note: 'a redelivery: a lookup, no write',
      },
      {
        name: 'queue.enqueue.p50 (synchronous=NORMAL)',
        value: round(normal.p50, 3),
        unit: 'ms',
        note: 'for comparison; not the default',
      },
      { name: 'queue.enqueue.p99 (synchronous=NORMAL)', value: round(normal.p99, 3), unit: 'ms' },
      {
        name: 'queue.claim+complete.mean (synchronous=FULL)',
        value: round(full.claimCompleteMean, 3),
        unit: 'ms',
        note: `per job, over ${BACKLOG + SAMPLES} jobs`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureEnqueue(file: string, synchronous: SqliteSynchronous) {
  const store = SqliteJobStore.open({ path: file, synchronous });
  try {
    for (let i = 0; i < BACKLOG; i++) {
      await store.enqueue(jobInput({ deliveryId: `backlog-${i}`, job: review(i) }));
    }
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await store.enqueue(jobInput({ deliveryId: `sample-${i}`, job: review(BACKLOG + i) }));
      times.push(performance.now() - started);
    }
    const duplicates: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await store.enqueue(jobInput({ deliveryId: `sample-${i}`, job: review(BACKLOG + i) }));
      duplicates.push(performance.now() - started);
    }
    const drainStarted = performance.now();
    let drained = 0;
    for (let job = await store.claimNext(); job; job = await store.claimNext()) {
      await store.complete(job.id, { attempt: job.attempts });
      drained++;
    }
    return {
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      max: Math.max(...times),
      duplicateP50: percentile(duplicates, 0.5),
      claimCompleteMean: (performance.now() - drainStarted) / drained,
    };
  } finally {
    await store.close();
  }
}

/** A review of its own pull request: each enqueue also runs the supersede queries. */
function review(n: number): ReviewJob {
  return {
    kind: 'review',
    repo: { owner: 'octo', repo: 'widgets', installationId: 7 },
    pullNumber: n,
    headSha: n.toString(16).padStart(40, '0'),
    headRef: `feature-${n}`,
    baseRef: 'main',
    headRepo: 'octo/widgets',
    isFork: false,
    requester: { login: 'alice', type: 'User' },
    trigger: 'pull_request',
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchQueue()) {
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
  }
}
