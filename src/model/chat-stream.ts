import type { ChatCompletionChunk } from 'openai/resources/chat/completions/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { TransientModelError } from './errors.js';
import { parseArguments } from './parse-arguments.js';
import type { StreamedTurn } from './responses-stream.js';
import type { FinishReason, ModelEvent, OutputItem, Usage } from './types.js';

interface PendingCall {
  id: string | undefined;
  name: string;
  arguments: string;
}

/**
 * Folds Chat Completions chunks into a turn, reassembling tool calls from their deltas.
 * Providers differ: OpenAI streams the id and name once, then argument pieces by index;
 * some send a whole call per chunk, some reuse index 0 for every call with new ids.
 * A stream without a finish_reason was cut short and is never taken as complete.
 */
export class ChatStreamReader {
  private readonly text: string[] = [];
  private readonly calls: PendingCall[] = [];
  /** Which entry of `calls` each streamed index currently feeds. */
  private readonly byIndex = new Map<number, PendingCall>();
  private finishReason: string | undefined;
  private usage: CompletionUsage | undefined;

  constructor(
    private readonly provider: string,
    private readonly onEvent?: (event: ModelEvent) => void,
  ) {}

  add(chunk: ChatCompletionChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue;
      const delta = choice.delta;
      if (typeof delta.content === 'string' && delta.content !== '') {
        this.text.push(delta.content);
        this.onEvent?.({ type: 'text_delta', delta: delta.content });
      }
      for (const call of delta.tool_calls ?? []) this.addCallDelta(call);
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
  }

  private addCallDelta(delta: NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number]) {
    const index = delta.index ?? this.calls.length;
    let pending = this.byIndex.get(index);
    // A new id on an index that already holds a call means a new call (Gemini's habit).
    if (!pending || (delta.id && pending.id && delta.id !== pending.id)) {
      pending = { id: undefined, name: '', arguments: '' };
      this.calls.push(pending);
      this.byIndex.set(index, pending);
    }
    if (delta.id) pending.id = delta.id;
    const name = delta.function?.name;
    if (name && !pending.name.endsWith(name)) pending.name += name;
    if (delta.function?.arguments) pending.arguments += delta.function.arguments;
  }

  finish(): StreamedTurn {
    if (this.finishReason === undefined) {
      throw new TransientModelError(
        `${this.provider} closed the stream before its final chunk`,
        'truncated',
      );
    }
    const items: OutputItem[] = [];
    const text = this.text.join('');
    if (text !== '') items.push({ type: 'message', text });
    this.calls.forEach((call, i) => {
      items.push({
        type: 'function_call',
        // Some servers send no id; the conversation still needs one to pair the result.
        callId: call.id ?? `call_${i}`,
        name: call.name,
        arguments: call.arguments,
        parsed: parseArguments(call.arguments),
      });
    });
    return { items, usage: toUsage(this.usage), finishReason: this.toFinishReason(items) };
  }

  private toFinishReason(items: readonly OutputItem[]): FinishReason {
    if (this.finishReason === 'length') return 'length';
    if (this.finishReason === 'content_filter') return 'content_filter';
    // Some providers say "stop" even when they called tools.
    return items.some((item) => item.type === 'function_call') ? 'tool_calls' : 'stop';
  }
}

function toUsage(usage: CompletionUsage | undefined): Usage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
  };
}
