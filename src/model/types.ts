import type { ProviderProfile, WireApi } from './provider-profiles.js';

/**
 * The provider-neutral vocabulary of a model turn. Wire formats (Responses API,
 * Chat Completions) translate to and from these types; nothing above src/model/
 * ever sees a provider's shapes.
 */

/** An image ready to send: already resized and capped by src/images/. */
export interface ImageContent {
  readonly type: 'image';
  readonly mimeType: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  readonly dataBase64: string;
  /** Where it came from, for logs and for the model ("screenshot.png"). */
  readonly label?: string;
}

export interface TextContent {
  readonly type: 'text';
  readonly text: string;
}

export type MessageContent = TextContent | ImageContent;

/** One entry of the conversation sent to the model. */
export type ConversationItem =
  | {
      readonly type: 'message';
      readonly role: 'user' | 'assistant' | 'developer';
      readonly content: readonly MessageContent[];
    }
  | {
      readonly type: 'function_call';
      readonly callId: string;
      readonly name: string;
      /** The raw JSON text the model produced, sent back byte for byte. */
      readonly arguments: string;
    }
  | {
      readonly type: 'function_call_output';
      readonly callId: string;
      readonly output: string;
    }
  | ReasoningItem;

/** Reasoning the provider returned; sent back (where the profile allows) so the model keeps its thread. */
export interface ReasoningItem {
  readonly type: 'reasoning';
  readonly id: string;
  readonly summary: readonly string[];
  /** Opaque; present when the request asked for encrypted reasoning (stateless runs). */
  readonly encryptedContent?: string;
}

/** The parsed arguments of a function call, or why they could not be parsed. */
export type ParsedArguments =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** What a turn produced, in order. */
export type OutputItem =
  | { readonly type: 'message'; readonly text: string }
  | {
      readonly type: 'function_call';
      readonly callId: string;
      readonly name: string;
      readonly arguments: string;
      readonly parsed: ParsedArguments;
    }
  | ReasoningItem;

export interface Usage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  readonly totalTokens: number;
}

export const ZERO_USAGE: Usage = {
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
};

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

/** A function the model may call. `parameters` is a JSON Schema object. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** A JSON Schema the final answer must match. */
export interface OutputSchema {
  readonly name: string;
  readonly schema: Readonly<Record<string, unknown>>;
  /** Ask the provider to enforce it (only where the profile supports strict schemas). */
  readonly strict: boolean;
}

export interface ModelRequest {
  readonly instructions: string;
  readonly input: readonly ConversationItem[];
  readonly tools: readonly ToolSpec[];
  readonly outputSchema?: OutputSchema;
  /** Stable per run, so the provider routes every turn of a run to the same prompt cache. */
  readonly promptCacheKey?: string;
  readonly maxOutputTokens?: number;
  /**
   * `none` forbids tool calls for this turn while the tools stay declared, so the request
   * keeps the run's cached prefix (the compaction request uses it). Default `auto`.
   */
  readonly toolChoice?: 'auto' | 'none';
}

export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter';

export interface ModelTurn {
  readonly items: readonly OutputItem[];
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  /** How many HTTP attempts this turn took (1 when nothing was retried). */
  readonly attempts: number;
  /** Bytes of request body sent, all attempts included. */
  readonly requestBytes: number;
}

/** What the client reports while it works, for a CLI, a run log or a progress comment. */
export type ModelEvent =
  | { readonly type: 'text_delta'; readonly delta: string }
  | {
      readonly type: 'retry';
      /** Why the last attempt failed, e.g. "rate limited by provider". */
      readonly reason: string;
      readonly kind: 'rate_limit' | 'transient';
      readonly delayMs: number;
      /** The attempt about to start (2 for the first retry). */
      readonly attempt: number;
      /** Where the delay came from: the provider's hint or our own backoff. */
      readonly delaySource: 'retry-after' | 'message' | 'backoff';
      readonly message: string;
    };

export interface StreamTurnOptions {
  readonly signal?: AbortSignal;
  /** Epoch ms: no retry wait may run past it (the run's deadline). */
  readonly deadlineAt?: number;
  readonly onEvent?: (event: ModelEvent) => void;
}

export interface ModelClient {
  readonly profile: ProviderProfile;
  readonly api: WireApi;
  readonly model: string;
  streamTurn(request: ModelRequest, options?: StreamTurnOptions): Promise<ModelTurn>;
}
