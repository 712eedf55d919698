import { mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
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
/** The scripted model's thinking time per turn. */
const TURN_MS = 3_000;

/**
 * Wall time of one review of an 8-batch pull request, the model taking 3 s a turn (one
 * turn per batch: the final answer), reviewed one batch at a time and then concurrently.
 * Everything else is real: the sandbox per batch, the run logs, the scripted server on
 * loopback. The goal: concurrent at most 0.4x sequential.
 */
export async function benchReview(): Promise<BenchResult[]> {
  const change = await makeMultiBatchChange(BATCHES);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-review-'));
  try {
    const time = async (concurrency: number): Promise<number> => {
      const server = await startScriptedModelServer([], { beforeStep: () => sleep(TURN_MS) });
      for (let i = 0; i < BATCHES; i++) server.push(answerEachBatch());
      try {
        const start = performance.now();
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
          concurrency,
        });
        if (result.status !== 'completed' || result.findings.length !== BATCHES) {
          throw new Error(`the bench review did not complete: ${result.message}`);
        }
        return performance.now() - start;
      } finally {
        await server.close();
      }
    };
    const sequential = await time(1);
    const concurrent = await time(defaultRepoConfig().review.concurrency);
    const all = await time(BATCHES);
    return [
      {
        name: `review of ${BATCHES} batches, 3 s a turn: sequential`,
        value: round(sequential / 1000),
        unit: 's',
      },
      {
        name: `review of ${BATCHES} batches, 3 s a turn: concurrency ${defaultRepoConfig().review.concurrency} (default)`,
        value: round(concurrent / 1000),
        unit: 's',
        note: `${round(concurrent / sequential)}x sequential`,
      },
      {
        name: `review of ${BATCHES} batches, 3 s a turn: concurrency ${BATCHES}`,
        value: round(all / 1000),
        unit: 's',
        note: `${round(all / sequential)}x sequential`,
      },
    ];
  } finally {
    await change.remove();
    await rm(stateDir, { recursive: true, force: true });
  }
}
