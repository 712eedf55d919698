import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnFixture } from '../support/fixture-process.js';
import { helpJob, useTempStores, waitUntil, jobInput } from './helpers.js';

const WORKER = fileURLToPath(new URL('./fixtures/queue-worker.ts', import.meta.url));

const stores = useTempStores();

/** Starts queue-worker.ts and collects its stdout lines. */
function startWorker(file: string, mode: 'claim' | 'hang') {
  return spawnFixture(WORKER, [file, mode]);
}

describe('the SQLite queue across processes', () => {
  it('three processes claiming from one file at once never claim a job twice', async () => {
    const file = await stores.dbPath();
    const store = stores.open(file);
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      ids.add((await store.enqueue(jobInput({ deliveryId: `d${i}`, job: helpJob(i) }))).job.id);
    }
    const workers = [1, 2, 3].map(() => startWorker(file, 'claim'));
    await waitUntil(() => workers.every((w) => w.lines.includes('ready')), 20_000);
    for (const w of workers) w.child.stdin.write('go\n');
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes, workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0]);

    const claimed = workers.map((w) => JSON.parse(w.lines.at(-1) ?? '[]') as string[]);
    const all = claimed.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all)).toEqual(ids);
    // Real contention: more than one process got work.
    expect(claimed.filter((c) => c.length > 0).length).toBeGreaterThan(1);
    for (const job of await store.list({ limit: 1000 })) {
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    }
  });

  it('a job running in a process killed with SIGKILL is requeued with its progress, then failed after maxAttempts', async () => {
    const file = await stores.dbPath();
    const store = stores.open(file);
    const { job } = await store.enqueue(
      jobInput({ deliveryId: 'd', job: helpJob(1), maxAttempts: 2 }),
    );

    for (let attempt = 1; attempt <= 2; attempt++) {
      const worker = startWorker(file, 'hang');
      await waitUntil(() => worker.lines.includes(`running ${job.id}`), 20_000);
      worker.child.kill('SIGKILL');
      await worker.exited;
      expect(await store.get(job.id)).toMatchObject({ status: 'running', attempts: attempt });

      // The restarted process recovers before it starts its pool.
      const recovered = await stores.open(file).recoverInterrupted();
      if (attempt === 1) {
        expect(recovered.requeued).toMatchObject([
          { id: job.id, status: 'queued', progress: { commentId: 1001 } },
        ]);
      } else {
        expect(recovered.requeued).toEqual([]);
        // Visible: the caller gets the job, its reason and the comment to finalize.
        expect(recovered.failed).toMatchObject([
          {
            id: job.id,
            status: 'failed',
            error: 'interrupted 2 times: the process running it stopped before it finished',
            progress: { commentId: 1002 },
          },
        ]);
      }
    }
  });
});
