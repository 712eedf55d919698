import type { AgentEvent } from '../../agent/events.js';
import { loadPrompt } from '../../agent/load-prompt.js';
import type { FinalOutputSpec } from '../../agent/final-output.js';
import { describeError } from '../../errors.js';
import { ZERO_USAGE, type Usage } from '../../model/types.js';
import { renderDiff, type DiffFile } from '../../workspace/diff/index.js';
import { newRunId, prepareRunEnvironment } from '../prepare-agent-run.js';
import { runJobAgent } from '../run-job-agent.js';
import { ReviewOutput } from './finding.js';
import type { BatchInfo, ReviewChangesOptions } from './review-options.js';

/**
 * One batch of a review: its own run id and run log, the read-only sandbox, the review
 * prompt, and a final answer that must be ReviewOutput. A failure ends this batch only and
 * comes back as a result; an abort of the whole review is thrown.
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
  setUp: <T>(create: () => Promise<T>) => Promise<T> = (create) => create(),
): Promise<BatchRun> {
  const runId = newRunId(new Date());
  const run = await setUp(() =>
    prepareRunEnvironment({
      workspace: options.workspace,
      policy: 'read-only',
      modelConfig: options.modelConfig,
      stateDir: options.stateDir,
      runId,
      env: options.env,
      envAllowlist: options.sandboxEnv,
      ...(options.extraSecrets ? { extraSecrets: options.extraSecrets } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    }),
  );
  try {
    const result = await runJobAgent(run, {
      runId,
      policy: 'read-only',
      jobPrompt: loadPrompt('review'),
      task: {
        prompt: taskText(options, info),
        // The diff is the author's text too: comments and strings in it are data.
        untrusted: [...options.untrusted, { label: 'diff', text: renderDiff(batch) }],
      },
      agents: options.agents,
      modelConfig: options.modelConfig,
      output,
      budgets: options.budgets,
      signal: options.signal,
      onEvent,
    });
    if (result.status !== 'completed') {
      return {
        ok: false,
        runId,
        usage: result.usage,
        status: result.status === 'budget_exceeded' ? 'budget_exceeded' : 'failed',
        message: run.redactor.redact(result.message),
      };
    }
    const parsed = ReviewOutput.safeParse(result.output);
    if (!parsed.success) {
      return {
        ok: false,
        runId,
        usage: result.usage,
        status: 'failed',
        message: 'the model did not answer with a review',
      };
    }
    return { ok: true, runId, usage: result.usage, review: parsed.data };
  } catch (error) {
    // An abort is the caller's to report; anything else ends this batch only.
    if (options.signal?.aborted) throw error;
    return {
      ok: false,
      runId,
      usage: ZERO_USAGE,
      status: 'failed',
      message: run.redactor.redact(describeError(error)),
    };
  } finally {
    run.log.close();
    await run.sandbox.close?.();
  }
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
