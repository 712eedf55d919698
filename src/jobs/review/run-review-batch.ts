import type { AgentEvent } from '../../agent/events.js';
import { loadPrompt } from '../../agent/load-prompt.js';
import type { FinalOutputSpec } from '../../agent/final-output.js';
import type { Usage } from '../../model/types.js';
import { renderDiff, type DiffFile } from '../../workspace/diff/index.js';
import { runStructuredPass } from '../run-structured-pass.js';
import { ReviewOutput } from './finding.js';
import type { BatchInfo, ReviewChangesOptions } from './review-options.js';

/**
 * One batch of a review: a structured pass (its own run id and run log, the read-only
 * sandbox) with the review prompt, whose final answer must be ReviewOutput. A failure
 * ends this batch only and comes back as a result; an abort of the whole review is thrown.
 */
export type BatchRun =
  | { ok: true; runId: string; usage: Usage; review: ReviewOutput }
  | {
      ok: false;
      runId: string;
      usage: Usage;
      status: 'failed' | 'budget_exceeded';
      message: string;
    };

export async function runReviewBatch(
  options: ReviewChangesOptions,
  batch: readonly DiffFile[],
  info: BatchInfo,
  output: FinalOutputSpec,
  onEvent: (event: AgentEvent) => void,
  /** Runs the sandbox's creation; the caller serialises it across batches. */
  setUp?: <T>(create: () => Promise<T>) => Promise<T>,
): Promise<BatchRun> {
  const run = await runStructuredPass(
    options,
    {
      prompt: loadPrompt('review'),
      task: {
        prompt: taskText(options, info),
        // The diff is the author's text too: comments and strings in it are data.
        untrusted: [...options.untrusted, { label: 'diff', text: renderDiff(batch) }],
      },
      output,
      schema: ReviewOutput,
      budgets: options.budgets,
      onEvent,
      what: 'a review',
    },
    setUp,
  );
  return run.ok ? { ok: true, runId: run.runId, usage: run.usage, review: run.output } : run;
}

function taskText(options: ReviewChangesOptions, info: BatchInfo): string {
  const parts = [options.subject];
  if (info.total > 1) {
    parts.push(
      `The change is reviewed in ${info.total} parts; this is part ${info.index}, with ${info.files.length === 1 ? 'this file' : 'these files'}: ${info.files.join(', ')}. Report findings on these files only.`,
    );
  }
  if (options.settings.instructions) {
    parts.push(`The repository's review instructions:\n${options.settings.instructions}`);
  }
  parts.push(
    'Answer with the review as JSON matching the output schema: a verdict, a summary, and the findings with their new-side line numbers.',
  );
  return parts.join('\n\n');
}
