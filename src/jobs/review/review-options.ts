import type { AgentEvent } from '../../agent/events.js';
import type { AgentsInstructions } from '../../agent/load-agents-md.js';
import type { Budgets } from '../../agent/run-agent.js';
import type { UntrustedText } from '../../agent/untrusted.js';
import type { ModelConfig } from '../../model/model-config.js';
import type { RepoConfig } from '../repo-config.js';

/** What reviewChanges and each of its batches are given. */
export type ReviewSettings = RepoConfig['review'];

export interface ReviewChangesOptions {
  /** The checkout the diff leads to (the head), as a real path. */
  readonly workspace: string;
  /** The unified diff to review (`git diff` with a/ b/ prefixes). */
  readonly diff: string;
  /** What is being reviewed, one or two sentences the task starts with. */
  readonly subject: string;
  /** The author's words (title, body, the requester's note): shown as data, never obeyed. */
  readonly untrusted: readonly UntrustedText[];
  /** AGENTS.md to follow; absent: read from the checkout itself (the local CLI). */
  readonly agents?: AgentsInstructions;
  readonly settings: ReviewSettings;
  /**
   * The `.gitattributes` that decide what is generated or vendored (`linguist-*`). For a
   * pull request, the base branch's: its author must not be able to mark a file unreviewed.
   */
  readonly gitattributes?: string;
  /**
   * Skip new files whose first lines say "generated" (default true). False for a pull
   * request: its author could mark their own code unreviewed.
   */
  readonly trustHeadMarkers?: boolean;
  /** `sandbox.env`: variable names passed into the sandbox. */
  readonly sandboxEnv: readonly string[];
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  /** The process environment (secret values in it are redacted from logs). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly extraSecrets?: readonly string[];
  /** Per batch; a deadline spans them all. */
  readonly budgets: Budgets;
  /** Tokens of diff per batch; default from the model's context window. */
  readonly maxBatchTokens?: number;
  readonly signal?: AbortSignal;
  /** Each agent event, with the batch it belongs to (1-based); batches interleave. */
  readonly onEvent?: (event: AgentEvent, batch: BatchInfo) => void;
  readonly onBatchStart?: (batch: BatchInfo) => void;
  /** A batch ended (ok: it answered with a review). Batches end in any order. */
  readonly onBatchFinish?: (batch: BatchInfo, ok: boolean) => void;
  /**
   * Batches reviewed at once, at most (and suggestions verified at once); default
   * `review.concurrency`. Lowered while the provider rate limits (see AdaptiveLimiter).
   */
  readonly concurrency?: number;
  /** Each change of that bound while the provider rate limits. */
  readonly onConcurrency?: (limit: number) => void;
  /** The clock the limiter measures calm periods with. */
  readonly now?: () => number;
  /** Where the scratch copy for `review.verify` is made. */
  readonly scratchParent?: string;
  readonly onWarning?: (message: string) => void;
}

export interface BatchInfo {
  readonly index: number;
  readonly total: number;
  readonly files: readonly string[];
}
