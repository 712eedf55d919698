import type { ConversationItem, ModelEvent, Usage } from '../model/types.js';
import type { PlanStep } from '../tools/types.js';

export type BudgetKind = 'max_turns' | 'max_tokens' | 'deadline';

export type RunStatus = 'completed' | 'failed' | 'budget_exceeded';

/** What the run was started with: enough to resume it byte for byte. */
export interface RunSetup {
  readonly runId: string;
  readonly instructions: string;
  /** The conversation's fixed head: environment, AGENTS.md, the task. */
  readonly initialItems: readonly ConversationItem[];
  readonly workspace: string;
  readonly model: string;
  readonly provider: string;
  readonly api: string;
  readonly sandboxPolicy: string;
  readonly outputSchema?: { readonly name: string; readonly schema: Record<string, unknown> };
}

/**
 * Everything a run reports, in order. The same stream feeds the run log (JSONL), the
 * CLI's progress line or --json output, and a GitHub progress comment.
 */
export type AgentEvent =
  | ({ readonly type: 'run_started'; readonly at: string } & RunSetup)
  | {
      readonly type: 'run_resumed';
      readonly at: string;
      readonly runId: string;
      readonly pendingCalls: number;
    }
  | { readonly type: 'turn_started'; readonly turn: number }
  | {
      readonly type: 'model_retry';
      readonly turn: number;
      readonly retry: Extract<ModelEvent, { type: 'retry' }>;
    }
  /** Items appended to the conversation, one line per append so a crash loses none. */
  | { readonly type: 'items'; readonly items: readonly ConversationItem[] }
  | {
      readonly type: 'tool_started';
      readonly callId: string;
      readonly name: string;
      readonly arguments: string;
    }
  | {
      readonly type: 'tool_finished';
      readonly callId: string;
      readonly name: string;
      readonly ok: boolean;
      readonly durationMs: number;
    }
  | { readonly type: 'plan_updated'; readonly plan: readonly PlanStep[] }
  | {
      readonly type: 'usage';
      readonly turn: number;
      readonly usage: Usage;
      readonly total: Usage;
      readonly requestBytes: number;
    }
  | {
      readonly type: 'compacted';
      readonly reason: 'threshold' | 'context_window';
      /**
       * `summary`: the model's hand-off summary. `mechanical`: its answer was unusable (or
       * the request failed), so Patchling wrote a factual note instead (`why` says why).
       */
      readonly method?: 'summary' | 'mechanical';
      readonly why?: string;
      readonly history: readonly ConversationItem[];
    }
  /** Something about a turn the user should know, in one sentence (`message`). */
  | {
      readonly type: 'turn_notice';
      readonly turn: number;
      /** `output_limit`: cut off at the output token limit; `empty_answer`: no text, no call. */
      readonly kind: 'output_limit' | 'empty_answer';
      readonly message: string;
    }
  /**
   * The history was rewritten to bound its size: old images stubbed (image_budget), or
   * images and old tool output shed after the provider refused the request as too large.
   * Carries the new history, so resume starts from exactly what the next request sends.
   */
  | {
      readonly type: 'history_shed';
      readonly reason: 'image_budget' | 'request_too_large';
      readonly imagesDropped: number;
      readonly outputsShortened: number;
      readonly history: readonly ConversationItem[];
    }
  | { readonly type: 'output_repair'; readonly errors: string }
  | ({ readonly type: 'run_finished' } & RunOutcome);

/** How a run ended: the run_finished event and runAgent's result both carry it. */
export interface RunOutcome {
  readonly status: RunStatus;
  readonly budget?: BudgetKind;
  /** One sentence: what happened. */
  readonly message: string;
  readonly finalMessage?: string;
  readonly output?: unknown;
  readonly turns: number;
  readonly usage: Usage;
  readonly requestBytes: number;
}

export type AgentEventSink = (event: AgentEvent) => void;
