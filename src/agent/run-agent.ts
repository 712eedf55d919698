import { describeError } from '../errors.js';
import { ContextWindowExceeded, RequestTooLargeError } from '../model/errors.js';
import type {
  ConversationItem,
  ModelClient,
  ModelEvent,
  ModelRequest,
  Usage,
} from '../model/types.js';
import { addUsage, ZERO_USAGE } from '../model/types.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { ToolContext } from '../tools/types.js';
import { compactHistory } from './compact-history.js';
import type { AgentEventSink, BudgetKind, RunOutcome, RunSetup, RunStatus } from './events.js';
import { executeToolCalls, unansweredCalls, type PendingCall } from './execute-tool-calls.js';
import { isStrictCompatible, parseFinalOutput, type FinalOutputSpec } from './final-output.js';
import { messageText, pendingCalls, toHistoryItems, userText } from './history-items.js';
import { describeEmptyAnswer, outputLimitNotice } from './turn-notices.js';
import { loadPrompt } from './load-prompt.js';
import { boundImages, shedForSize, type ImageBudget, type ShedResult } from './shed-history.js';

export interface Budgets {
  readonly maxTurns: number;
  /** Total tokens (input + output) across the run. */
  readonly maxTokens?: number;
  /** Epoch ms. */
  readonly deadlineAt?: number;
}

/** Where a resumed run picks up (see resume-run.ts). */
export interface ResumePoint {
  readonly history: readonly ConversationItem[];
  readonly turns: number;
  readonly usage: Usage;
  readonly requestBytes: number;
}

export interface AgentRunOptions {
  readonly setup: RunSetup;
  readonly model: ModelClient;
  readonly tools: ToolRegistry;
  readonly toolContext: Omit<ToolContext, 'signal' | 'emit'>;
  readonly budgets: Budgets;
  readonly output?: FinalOutputSpec;
  readonly onEvent: AgentEventSink;
  readonly signal?: AbortSignal;
  readonly resume?: ResumePoint;
  /** Compact when a turn's tokens reach this share of the context window. */
  readonly compactAt?: number;
  /** Images the history may carry before the oldest are stubbed (shed-history.ts). */
  readonly imageBudget?: ImageBudget;
  readonly now?: () => Date;
}

export interface AgentResult extends RunOutcome {
  readonly runId: string;
}

class BudgetExhausted extends Error {
  constructor(readonly budget: BudgetKind) {
    super(`budget ${budget} exhausted`);
  }
}

const BUDGET_MESSAGES: Record<BudgetKind, (budgets: Budgets) => string> = {
  max_turns: (budgets) => `stopped: the maximum number of turns (${budgets.maxTurns}) was reached`,
  max_tokens: () => 'stopped: the token budget was spent',
  deadline: () => 'stopped: the deadline passed',
};

/**
 * The ReAct loop: send the conversation, stream the answer, run the calls it asks for,
 * append the results, until the model answers without a call or a budget ends. The
 * history only grows (until a compaction), and instructions and tools never change, so
 * each request is the previous one plus new items and the provider's cache keeps hitting.
 */
export async function runAgent(options: AgentRunOptions): Promise<AgentResult> {
  const { setup, model, tools, budgets, output } = options;
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent;
  const history: ConversationItem[] = [...(options.resume?.history ?? setup.initialItems)];
  let turns = options.resume?.turns ?? 0;
  let usage = options.resume?.usage ?? ZERO_USAGE;
  let requestBytes = options.resume?.requestBytes ?? 0;
  let repairsLeft = 1;
  let nudgesLeft = 1;
  let lastTurnTokens = 0;

  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const deadline =
    budgets.deadlineAt === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new BudgetExhausted('deadline')),
          Math.max(0, budgets.deadlineAt - Date.now()),
        );

  const append = (items: readonly ConversationItem[]) => {
    if (items.length === 0) return;
    history.push(...items);
    emit({ type: 'items', items });
  };
  const base: Omit<ModelRequest, 'input'> = {
    instructions: setup.instructions,
    tools: tools.specs(),
    promptCacheKey: setup.runId,
    ...(output
      ? {
          outputSchema: {
            name: output.name,
            schema: output.schema,
            strict: isStrictCompatible(output.schema),
          },
        }
      : {}),
  };
  const streamOptions = {
    signal: controller.signal,
    ...(budgets.deadlineAt !== undefined ? { deadlineAt: budgets.deadlineAt } : {}),
    onEvent: (event: ModelEvent) => {
      if (event.type === 'retry') emit({ type: 'model_retry', turn: turns, retry: event });
    },
  };
  const toolContext: ToolContext = {
    ...options.toolContext,
    signal: controller.signal,
    emit: (event) => emit(event),
  };
  const runCalls = (calls: readonly PendingCall[]) =>
    executeToolCalls(calls, tools, toolContext, append, emit);
  const recordUsage = (turnUsage: Usage, bytes: number, turn: number) => {
    usage = addUsage(usage, turnUsage);
    requestBytes += bytes;
    lastTurnTokens = turnUsage.inputTokens + turnUsage.outputTokens;
    emit({ type: 'usage', turn, usage: turnUsage, total: usage, requestBytes });
  };
  const compact = async (reason: 'threshold' | 'context_window') => {
    const result = await compactHistory(
      model,
      base,
      history,
      setup.initialItems.length,
      streamOptions,
    );
    history.splice(0, history.length, ...result.history);
    recordUsage(result.usage, result.requestBytes, turns);
    // The summary request's size says nothing about the compacted history's.
    lastTurnTokens = 0;
    emit({
      type: 'compacted',
      reason,
      method: result.method,
      ...(result.why === undefined ? {} : { why: result.why }),
      history,
    });
  };
  const replaceHistory = (shed: ShedResult, reason: 'image_budget' | 'request_too_large') => {
    history.splice(0, history.length, ...shed.history);
    const { imagesDropped, outputsShortened } = shed;
    emit({ type: 'history_shed', reason, imagesDropped, outputsShortened, history });
  };
  const finish = (
    status: RunStatus,
    message: string,
    extra: Pick<RunOutcome, 'budget' | 'finalMessage' | 'output'> = {},
  ): AgentResult => {
    const outcome: RunOutcome = { status, message, turns, usage, requestBytes, ...extra };
    emit({ type: 'run_finished', ...outcome });
    return { runId: setup.runId, ...outcome };
  };

  // Calls logged without a result: the ones a killed process had not finished.
  const pending = unansweredCalls(history);
  if (options.resume) {
    emit({
      type: 'run_resumed',
      at: now().toISOString(),
      runId: setup.runId,
      pendingCalls: pending.length,
    });
  } else {
    emit({ type: 'run_started', at: now().toISOString(), ...setup });
  }

  try {
    // A resumed run first finishes them.
    await runCalls(pending);
    let compactedForOverflow = false;
    let shedForTooLarge = false;
    for (;;) {
      if (turns >= budgets.maxTurns) throw new BudgetExhausted('max_turns');
      if (budgets.maxTokens !== undefined && usage.totalTokens >= budgets.maxTokens) {
        throw new BudgetExhausted('max_tokens');
      }
      if (lastTurnTokens >= model.profile.contextWindow * (options.compactAt ?? 0.8)) {
        await compact('threshold');
      }

      const bounded = boundImages(history, setup.initialItems.length, options.imageBudget);
      if (bounded) replaceHistory(bounded, 'image_budget');

      turns += 1;
      emit({ type: 'turn_started', turn: turns });
      let turn;
      try {
        turn = await model.streamTurn({ ...base, input: history }, streamOptions);
      } catch (error) {
        // Too large for the provider: shed images and old output, and try once more.
        if (error instanceof RequestTooLargeError && !shedForTooLarge) {
          const shed = shedForSize(history, setup.initialItems.length);
          if (shed) {
            turns -= 1;
            shedForTooLarge = true;
            replaceHistory(shed, 'request_too_large');
            continue;
          }
        }
        // Answer an overflow by compacting, once per turn; a second overflow is real.
        if (!(error instanceof ContextWindowExceeded) || compactedForOverflow) throw error;
        turns -= 1;
        compactedForOverflow = true;
        await compact('context_window');
        continue;
      }
      compactedForOverflow = false;
      shedForTooLarge = false;
      recordUsage(turn.usage, turn.requestBytes, turns);
      const cutOff = turn.finishReason === 'length';
      append(toHistoryItems(turn.items));

      // Servers may send several calls even when the profile did not ask for parallel
      // calls; the loop runs whatever arrives, in order.
      const calls = pendingCalls(turn.items, cutOff);
      if (cutOff) emit(outputLimitNotice(turns, calls));
      if (calls.length > 0) {
        await runCalls(calls);
        continue;
      }

      const finalMessage = messageText(turn.items);
      if (cutOff) {
        append([userText('Your answer was cut off at the output limit. Continue, more briefly.')]);
        continue;
      }
      if (finalMessage === '') {
        const message = describeEmptyAnswer(turns, turn.finishReason);
        if (nudgesLeft <= 0) {
          return finish(
            'failed',
            `the model gave no answer: ${message}, after being asked once to answer`,
          );
        }
        nudgesLeft -= 1;
        emit({
          type: 'turn_notice',
          turn: turns,
          kind: 'empty_answer',
          message: `${message}; asking once for an answer`,
        });
        append([userText(loadPrompt('empty-answer'))]);
        continue;
      }
      if (!output) return finish('completed', 'completed', { finalMessage });

      const parsed = parseFinalOutput(finalMessage, output);
      if (parsed.ok)
        return finish('completed', 'completed', { finalMessage, output: parsed.value });
      if (repairsLeft <= 0) {
        return finish(
          'failed',
          `the final answer did not match the output schema: ${parsed.errors}`,
          { finalMessage },
        );
      }
      repairsLeft -= 1;
      emit({ type: 'output_repair', errors: parsed.errors });
      append([userText(loadPrompt('repair-output', { errors: parsed.errors }))]);
    }
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    if (reason instanceof BudgetExhausted) {
      const message = BUDGET_MESSAGES[reason.budget](budgets);
      return finish('budget_exceeded', message, { budget: reason.budget });
    }
    return finish('failed', describeError(reason));
  } finally {
    if (deadline) clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
