import { benchExec } from './exec.js';
import { benchFrames } from './frames.js';
import { benchGitCache } from './git-cache.js';
import { benchImages } from './images.js';
import { benchModelClient } from './model-client.js';
import { benchQueue } from './queue.js';
import { benchReview } from './review.js';
import { benchSandbox } from './sandbox.js';
import { benchSandboxSteps } from './sandbox-steps.js';
import { benchSetup } from './setup.js';
import { benchScan } from './scan.js';
import { benchScratchCopy } from './scratch-copy.js';
import { benchWebhookAck } from './webhook-ack.js';
import { benchWebhookAckBusy } from './webhook-ack-busy.js';
import { benchWebhookAckStages } from './webhook-ack-stages.js';
import { benchReviewLoopCost } from './review-loop-cost.js';
import type { BenchResult } from './bench-result.js';

/**
 * `npm run bench`: every figure the issues ask for, measured here and printed as a table.
 * CI never gates on these; they go in the closing notes. Run on a quiet machine: timings
 * taken while other work loads the CPU say little.
 */
const benches: [string, () => Promise<readonly BenchResult[]>][] = [
  ['model client', benchModelClient],
  ['sandbox', benchSandbox],
  ['sandbox steps', benchSandboxSteps],
  ['exec', benchExec],
  ['images', benchImages],
  ['frames', () => benchFrames()],
  ['queue', benchQueue],
  ['webhook ack', benchWebhookAck],
  ['scan', benchScan],
  ['scratch copy', benchScratchCopy],
  ['webhook ack, workers busy', benchWebhookAckBusy],
  ['webhook ack, stages', benchWebhookAckStages],
  ['review, main-thread cost', benchReviewLoopCost],
  ['setup', benchSetup],
  ['review', benchReview],
  ['git cache', benchGitCache],
];

const only = process.argv.slice(2);
for (const [name, bench] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  for (const r of await bench()) {
    console.log(
      `${r.name.padEnd(58)} ${String(r.value).padStart(9)} ${r.unit}${r.note ? `  (${r.note})` : ''}`,
    );
  }
}
