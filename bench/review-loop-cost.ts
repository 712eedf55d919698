import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { defaultRepoConfig } from '../src/jobs/repo-config.js';
import { reviewChanges } from '../src/jobs/review/review-changes.js';
import { startScriptedModelServer } from '../test/support/model-server/index.js';
import {
  answerEachBatch,
  makeMultiBatchChange,
  ONE_FILE_PER_BATCH_TOKENS,
} from '../test/support/multi-batch-change.js';
import { testModelConfig } from '../test/support/test-model-config.js';
import { round, type BenchResult } from './bench-result.js';

const BATCHES = 8;
const TURN_MS = 500;

/**
 * What a real review costs the thread it runs on (the App's main thread, where jobs run):
 * an 8-batch review at the default concurrency with everything real (sandbox spawns, git,
 * run logs, the model's stream parsed over HTTP), the scripted model server answering
 * after 0.5 s a turn. Reported: the event loop's busy share and its delay. The model
 * server runs in this process too, so the figures are an upper bound.
 */
export async function benchReviewLoopCost(): Promise<BenchResult[]> {
  const change = await makeMultiBatchChange(BATCHES);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-loop-'));
  const server = await startScriptedModelServer([], { beforeStep: () => sleep(TURN_MS) });
  for (let i = 0; i < BATCHES; i++) server.push(answerEachBatch());
  const delay = monitorEventLoopDelay({ resolution: 1 });
  try {
    const before = performance.eventLoopUtilization();
    delay.enable();
    const started = performance.now();
    const result = await reviewChanges({
      workspace: change.dir,
      diff: change.diff,
      subject: 'Review the change.',
      untrusted: [],
      settings: defaultRepoConfig().review,
      sandboxEnv: [],
      modelConfig: testModelConfig(server.baseURL, 'responses', { idleTimeoutMs: 30_000 }),
      stateDir,
      env: {},
      budgets: { maxTurns: 3 },
      maxBatchTokens: ONE_FILE_PER_BATCH_TOKENS,
    });
    const wallMs = performance.now() - started;
    delay.disable();
    const used = performance.eventLoopUtilization(before);
    if (result.status !== 'completed') throw new Error(`the review failed: ${result.message}`);
    return [
      {
        name: `a real review (${BATCHES} batches): main-thread busy share`,
        value: round(used.utilization * 100, 1),
        unit: '%',
        note: `${round(used.active)} ms active of ${round(wallMs)} ms`,
      },
      {
        name: 'a real review: event-loop delay p99',
        value: round(delay.percentile(99) / 1e6),
        unit: 'ms',
        note: `max ${round(delay.max / 1e6)} ms`,
      },
    ];
  } finally {
    await server.close();
    await change.remove();
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchReviewLoopCost())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
