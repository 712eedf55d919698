import type { IdGenerator } from './ids.js';
import type { ScriptedTurn } from './script.js';

/**
 * A ScriptedTurn resolved into what both wire encoders need: ids assigned, arguments
 * serialized, text split into deltas, usage filled in. Encoders only format.
 */
export interface TurnPlan {
  reasoning?: { id: string; summary?: string; summaryChunks: string[]; encryptedContent?: string };
  message?: { id: string; text: string; chunks: string[] };
  toolCalls: PlannedToolCall[];
  usage: PlannedUsage;
  finishReason: 'stop' | 'length' | 'content_filter';
}

export interface PlannedToolCall {
  /** Responses output item id (`fc_…`). */
  itemId: string;
  callId: string;
  name: string;
  arguments: string;
  argumentChunks: string[];
}

export interface PlannedUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

const DEFAULT_CHUNK_SIZE = 8;

export function planTurn(turn: ScriptedTurn, requestBody: string, ids: IdGenerator): TurnPlan {
  const size = Math.max(1, Math.floor(turn.chunkSize ?? DEFAULT_CHUNK_SIZE));
  const plan: TurnPlan = {
    toolCalls: (turn.toolCalls ?? []).map((call) => {
      const args =
        typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
      return {
        itemId: ids.next('fc_'),
        callId: call.callId ?? ids.next('call_', 24),
        name: call.name,
        arguments: args,
        argumentChunks: splitIntoChunks(args, size),
      };
    }),
    usage: {
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      totalTokens: 0,
    },
    finishReason: turn.finishReason ?? 'stop',
  };
  if (turn.reasoning !== undefined) {
    const { summary, encryptedContent } = turn.reasoning;
    plan.reasoning = {
      id: ids.next('rs_'),
      summaryChunks: summary === undefined ? [] : splitIntoChunks(summary, size),
      ...(summary === undefined ? {} : { summary }),
      ...(encryptedContent === undefined ? {} : { encryptedContent }),
    };
  }
  if (turn.text !== undefined) {
    plan.message = {
      id: ids.next('msg_'),
      text: turn.text,
      chunks: splitIntoChunks(turn.text, size),
    };
  }
  plan.usage = resolveUsage(turn, plan, requestBody);
  return plan;
}

/** Splits by code points, never inside a surrogate pair, so every delta is valid UTF-16. */
export function splitIntoChunks(text: string, size: number): string[] {
  const points = Array.from(text);
  const chunks: string[] = [];
  for (let i = 0; i < points.length; i += size) chunks.push(points.slice(i, i + size).join(''));
  return chunks;
}

// Roughly four characters per token: enough for budget and compaction logic to see
// usage grow with the conversation, without a tokenizer.
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function resolveUsage(turn: ScriptedTurn, plan: TurnPlan, requestBody: string): PlannedUsage {
  const scripted = turn.usage ?? {};
  const reasoningTokens = scripted.reasoningTokens ?? estimateTokens(plan.reasoning?.summary ?? '');
  const visibleOutput =
    (plan.message?.text ?? '') + plan.toolCalls.map((c) => c.name + c.arguments).join('');
  const inputTokens = scripted.inputTokens ?? estimateTokens(requestBody);
  // As at OpenAI, output_tokens includes the reasoning tokens.
  const outputTokens = scripted.outputTokens ?? estimateTokens(visibleOutput) + reasoningTokens;
  return {
    inputTokens,
    cachedInputTokens: scripted.cachedInputTokens ?? 0,
    outputTokens,
    reasoningTokens,
    totalTokens: inputTokens + outputTokens,
  };
}
