import type { z } from 'zod';
import type { ImageContent } from '../model/types.js';
import type { Sandbox } from '../sandbox/types.js';

/** One step of the model's plan, as update_plan reports it. */
export interface PlanStep {
  readonly step: string;
  readonly status: 'pending' | 'in_progress' | 'completed';
}

/** Side channel from a tool to whoever runs the agent (progress, run log). */
export type ToolEvent = { readonly type: 'plan_updated'; readonly plan: readonly PlanStep[] };

export interface ToolContext {
  /** Absolute host path of the workspace (the repository checkout). */
  readonly workspace: string;
  readonly sandbox: Sandbox;
  readonly signal: AbortSignal;
  readonly emit: (event: ToolEvent) => void;
}

/** What a tool call gives back to the model. A failure is an outcome, not an exception. */
export interface ToolOutcome {
  /** false when the call failed (bad arguments, non-zero exit, patch did not apply...). */
  readonly ok: boolean;
  /** The text the model reads as the call's result. */
  readonly output: string;
  /** Images to attach to the next model turn (view_image). */
  readonly images?: readonly ImageContent[];
}

export interface Tool<Schema extends z.ZodType = z.ZodType> {
  /** The function name the model calls. Stable: it is part of the cached prompt prefix. */
  readonly name: string;
  /** Written for the model: what the tool does and when to use it. */
  readonly description: string;
  readonly parameters: Schema;
  /**
   * false for tools that never change the workspace. Read-only calls from one turn may run
   * in parallel; mutating calls run one by one, in order.
   */
  readonly mutating: boolean;
  run(args: z.infer<Schema>, context: ToolContext): Promise<ToolOutcome>;
}
