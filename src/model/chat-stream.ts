import { z } from 'zod';
import { classifyStreamFailure } from './classify-error.js';
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
 * The parts of a chunk we read, parsed leniently: providers add fields (llama-server's
 * `timings`), drop some (`index`), send keep-alives and usage-only chunks without
 * `choices`. A part that does not parse is skipped, never dereferenced.
 */
const toolCallDelta = z.object({
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
const choiceSchema = z.object({
  index: z.number().int().nullish(),
  delta: z
    .object({
      content: z.string().nullish(),
      tool_calls: z.array(z.unknown()).nullish(),
    })
    .nullish(),
  finish_reason: z.string().nullish(),
});
const usageSchema = z.object({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});
const chunkSchema = z.object({
  choices: z.array(z.unknown()).nullish(),
  usage: z.unknown().optional(),
});
/** vLLM's older streamed error: the ErrorResponse itself, not wrapped in `error`. */
const bareErrorSchema = z.object({
  object: z.literal('error'),
  message: z.string(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});

type ChatUsage = z.infer<typeof usageSchema>;

/**
 * Folds Chat Completions chunks into a turn, reassembling tool calls from their deltas.
 * Providers differ: OpenAI streams the id and name once, then argument pieces by index;
 * some send a whole call per chunk, some reuse index 0 for every call with new ids.
 * A stream without a finish_reason was cut short and is never taken as complete, however
 * many chunks were skipped on the way.
 */
export class ChatStreamReader {
  private readonly text: string[] = [];
  private readonly calls: PendingCall[] = [];
  /** Which entry of `calls` each streamed index currently feeds. */
  private readonly byIndex = new Map<number, PendingCall>();
  private finishReason: string | undefined;
  private usage: ChatUsage | undefined;
  private skipped = 0;

  constructor(
    private readonly provider: string,
    private readonly now: () => number,
    private readonly onEvent?: (event: ModelEvent) => void,
  ) {}

  /** Throws the classified error when the chunk is a provider's error object. */
  add(raw: unknown): void {
    const bareError = bareErrorSchema.safeParse(raw);
    if (bareError.success) {
      const { message, type, code } = bareError.data;
      throw classifyStreamFailure({ message, type, code }, this.provider, this.now());
    }
    const chunk = chunkSchema.safeParse(raw);
    if (!chunk.success) {
      this.skipped += 1;
      return;
    }
    const usage = usageSchema.safeParse(chunk.data.usage);
    if (usage.success && chunk.data.usage) this.usage = usage.data;
    for (const rawChoice of chunk.data.choices ?? []) {
      const parsed = choiceSchema.safeParse(rawChoice);
      if (!parsed.success) {
        this.skipped += 1;
        continue;
      }
      const choice = parsed.data;
      if ((choice.index ?? 0) !== 0) continue;
      const content = choice.delta?.content;
      if (typeof content === 'string' && content !== '') {
        this.text.push(content);
        this.onEvent?.({ type: 'text_delta', delta: content });
      }
      for (const call of choice.delta?.tool_calls ?? []) {
        const delta = toolCallDelta.safeParse(call);
        if (delta.success) this.addCallDelta(delta.data);
        else this.skipped += 1;
      }
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
  }

  private addCallDelta(delta: z.infer<typeof toolCallDelta>) {
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
      const skipped = this.skipped > 0 ? ` (${this.skipped} unreadable part(s) skipped)` : '';
      throw new TransientModelError(
        `${this.provider} closed the stream before its final chunk${skipped}`,
        'truncated',
      );
    }
    if (this.finishReason === 'error') {
      // OpenRouter ends a stream that failed upstream this way; what came before is partial.
      throw new TransientModelError(
        `${this.provider} ended the stream with finish_reason "error"`,
        'server',
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

function toUsage(usage: ChatUsage | undefined): Usage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
  };
}
