import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../../src/jobs/repo-config.js';
import { reviewChanges, type BatchInfo } from '../../../src/jobs/review/review-changes.js';
import {
  answerEachBatch,
  batchFileOf,
  makeMultiBatchChange,
  ONE_FILE_PER_BATCH_TOKENS,
  type MultiBatchChange,
} from '../../support/multi-batch-change.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptedModelServer,
} from '../../support/model-server/index.js';
import { testModelConfig } from '../../support/test-model-config.js';

let change: MultiBatchChange | undefined;
let server: ScriptedModelServer | undefined;
let stateDir: string | undefined;

afterEach(async () => {
  await server?.close();
  await change?.remove();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  change = server = stateDir = undefined;
});

async function review(
  count: number,
  options: {
    readonly concurrency: number;
    readonly beforeStep?: (request: RecordedRequest) => Promise<void>;
    readonly firstStep?: ReturnType<typeof step.rateLimited>;
    readonly now?: () => number;
    readonly onFinish?: (batch: BatchInfo) => void;
  },
) {
  change = await makeMultiBatchChange(count);
  server = await startScriptedModelServer([], {
    ...(options.beforeStep ? { beforeStep: options.beforeStep } : {}),
  });
  if (options.firstStep) server.push(options.firstStep);
  for (let i = 0; i < count; i++) server.push(answerEachBatch());
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-state-'));
  const events: { batch: number; type: string }[] = [];
  const started: { batch: BatchInfo; active: number }[] = [];
  const limits: number[] = [];
  let active = 0;
  const result = await reviewChanges({
    workspace: change.dir,
    diff: change.diff,
    subject: 'Review the change.',
    untrusted: [],
    settings: defaultRepoConfig().review,
    sandboxEnv: [],
    modelConfig: testModelConfig(server.baseURL, 'responses'),
    stateDir,
    env: {},
    budgets: { maxTurns: 3 },
    maxBatchTokens: ONE_FILE_PER_BATCH_TOKENS,
    concurrency: options.concurrency,
    ...(options.now ? { now: options.now } : {}),
    onBatchStart: (batch) => {
      active += 1;
      started.push({ batch, active });
    },
    onBatchFinish: (batch) => {
      active -= 1;
      options.onFinish?.(batch);
    },
    onConcurrency: (limit) => limits.push(limit),
    onEvent: (event, batch) => events.push({ batch: batch.index, type: event.type }),
  });
  return { result, events, started, limits, change };
}

describe('reviewChanges runs batches concurrently', () => {
  it('runs four batches at once (a barrier that only four requests at once can pass), never more', async () => {
    const waiting: (() => void)[] = [];
    let inFlight = 0;
    let peak = 0;
    const beforeStep = async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      // The first four requests are held until all four are here: reviewed one after
      // another, the first would wait forever and the review would fail on its deadline.
      if (waiting.length < 4 && peak <= 4) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 4) waiting.forEach((release) => release());
        });
      }
      inFlight -= 1;
    };

    const { result, started } = await review(8, { concurrency: 4, beforeStep });

    expect(result.status).toBe('completed');
    expect(waiting).toHaveLength(4);
    expect(peak).toBe(4);
    expect(Math.max(...started.map((s) => s.active))).toBe(4);
    expect(result.reviewedFiles).toHaveLength(8);
  }, 60_000);

  it('gives the same review whichever batch finishes first: findings, summaries and run ids in batch order', async () => {
    // Batch 1's answer is held until every other batch has finished, so it finishes last.
    let othersDone!: () => void;
    const othersFinished = new Promise<void>((resolve) => (othersDone = resolve));
    let finished = 0;
    const {
      result,
      events,
      change: made,
    } = await review(4, {
      concurrency: 4,
      beforeStep: async (request) => {
        if (batchFileOf(request) === 'src/part01.js') await othersFinished;
      },
      onFinish: (batch) => {
        if (batch.index !== 1 && ++finished === 3) othersDone();
      },
    });

    expect(result.status).toBe('completed');
    expect(result.findings.map((f) => f.finding.path)).toEqual(made.files);
    expect(result.summary.split('\n\n')).toEqual(made.files.map((f) => `Summary of ${f}.`));
    expect(result.runIds).toHaveLength(4);
    // Batch 1 finished last: its run_finished is the last event of all.
    const runFinished = events.filter((e) => e.type === 'run_finished').map((e) => e.batch);
    expect(runFinished.at(-1)).toBe(1);
    // Every event names its batch, and each batch's events start with run_started.
    for (const index of [1, 2, 3, 4]) {
      expect(events.find((e) => e.batch === index)?.type).toBe('run_started');
    }
  }, 60_000);

  it('starts fewer batches while the provider rate limits', async () => {
    // The clock stands still, so the limit never climbs back during the test.
    const { result, started, limits } = await review(8, {
      concurrency: 4,
      firstStep: step.rateLimited({ retryAfterMs: '30' }),
      now: () => 0,
    });

    expect(result.status).toBe('completed');
    expect(limits).toEqual([2]);
    // The cut came with the first request, before any batch ended: the batches started
    // after the first four found at most two running.
    expect(started.slice(4).every((s) => s.active <= 2)).toBe(true);
    expect(started.slice(0, 4).map((s) => s.active)).toEqual([1, 2, 3, 4]);
  }, 60_000);
});
