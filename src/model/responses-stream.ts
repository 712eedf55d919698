import { z } from 'zod';
import { classifyStreamFailure } from './classify-error.js';
import { TransientModelError } from './errors.js';
import { parseArguments } from './parse-arguments.js';
import type { FinishReason, ModelEvent, OutputItem, Usage } from './types.js';

export interface StreamedTurn {
  readonly items: readonly OutputItem[];
  readonly usage: Usage;
  readonly finishReason: FinishReason;
}

/**
 * The events and items we read, parsed leniently (extra fields pass, missing optional
 * ones default). An event of a known type whose shape is wrong is skipped like an
 * unknown one: if it was the terminal event, the turn ends as a truncated stream.
 */
const outputItemSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    content: z.array(
      z.object({ type: z.string(), text: z.string().nullish(), refusal: z.string().nullish() }),
    ),
  }),
  z.object({
    type: z.literal('function_call'),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string().nullish(),
  }),
  z.object({
    type: z.literal('reasoning'),
    id: z.string().nullish(),
    summary: z.array(z.object({ text: z.string() })).nullish(),
    encrypted_content: z.string().nullish(),
  }),
]);
const usageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  input_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});
const responseSchema = z.object({
  output: z.array(z.unknown()).nullish(),
  usage: usageSchema.nullish(),
  incomplete_details: z.object({ reason: z.string().nullish() }).nullish(),
  error: z
    .object({ code: z.union([z.string(), z.number()]).nullish(), message: z.string().nullish() })
    .nullish(),
});
const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('response.output_text.delta'), delta: z.string() }),
  z.object({
    type: z.literal('response.output_item.done'),
    output_index: z.number().int(),
    item: z.unknown(),
  }),
  z.object({ type: z.literal('response.completed'), response: responseSchema }),
  z.object({ type: z.literal('response.incomplete'), response: responseSchema }),
  z.object({ type: z.literal('response.failed'), response: responseSchema }),
  // The flat form; the nested `{ type: 'error', error: {…} }` is raised by the SDK itself.
  z.object({
    type: z.literal('error'),
    code: z.union([z.string(), z.number()]).nullish(),
    message: z.string().nullish(),
  }),
]);

type ResponseBody = z.infer<typeof responseSchema>;
type KnownEvent = z.infer<typeof eventSchema>;

const KNOWN_TYPES = new Set<string>(eventSchema.options.map((option) => option.shape.type.value));

/**
 * Folds Responses API stream events into a turn. Only a terminal event
 * (response.completed or response.incomplete) makes the turn complete: a stream that ends
 * without one was cut, and its partial output is never taken as the answer. Event types
 * we do not use are ignored; servers add their own.
 */
export class ResponsesStreamReader {
  private readonly done = new Map<number, unknown>();
  private terminal: { response: ResponseBody; finishReason: FinishReason } | undefined;
  private skipped = 0;

  constructor(
    private readonly provider: string,
    private readonly now: () => number,
    private readonly onEvent?: (event: ModelEvent) => void,
  ) {}

  /** Throws the classified error when the stream reports a failure. */
  add(raw: unknown): void {
    const type = (raw as { type?: unknown } | null | undefined)?.type;
    if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return;
    const parsed = eventSchema.safeParse(raw);
    if (!parsed.success) {
      this.skipped += 1;
      return;
    }
    this.apply(parsed.data);
  }

  private apply(event: KnownEvent): void {
    switch (event.type) {
      case 'response.output_text.delta':
        this.onEvent?.({ type: 'text_delta', delta: event.delta });
        return;
      case 'response.output_item.done':
        this.done.set(event.output_index, event.item);
        return;
      case 'response.completed':
        this.terminal = { response: event.response, finishReason: 'stop' };
        return;
      case 'response.incomplete': {
        const reason = event.response.incomplete_details?.reason;
        this.terminal = {
          response: event.response,
          finishReason: reason === 'content_filter' ? 'content_filter' : 'length',
        };
        return;
      }
      case 'response.failed': {
        const error = event.response.error;
        throw classifyStreamFailure(
          { code: error?.code, message: error?.message ?? 'response failed' },
          this.provider,
          this.now(),
        );
      }
      case 'error':
        throw classifyStreamFailure(
          { code: event.code, message: event.message ?? 'stream error' },
          this.provider,
          this.now(),
        );
      default: {
        const unhandled: never = event;
        throw new Error(`unhandled stream event ${JSON.stringify(unhandled)}`);
      }
    }
  }

  finish(): StreamedTurn {
    if (!this.terminal) {
      const skipped = this.skipped > 0 ? ` (${this.skipped} unreadable event(s) skipped)` : '';
      throw new TransientModelError(
        `${this.provider} closed the stream before its final event${skipped}`,
        'truncated',
      );
    }
    const { response, finishReason } = this.terminal;
    // Items as each was finished; the terminal event's own list when the stream gave none.
    const raw =
      this.done.size > 0
        ? [...this.done.entries()].sort(([a], [b]) => a - b).map(([, item]) => item)
        : (response.output ?? []);
    const items = raw.flatMap(toOutputItem);
    const hasCalls = items.some((item) => item.type === 'function_call');
    return {
      items,
      usage: toUsage(response.usage ?? undefined),
      finishReason: finishReason === 'stop' && hasCalls ? 'tool_calls' : finishReason,
    };
  }
}

function toOutputItem(raw: unknown): OutputItem[] {
  const parsed = outputItemSchema.safeParse(raw);
  // Built-in tool calls (web search and the like) are never requested by Patchling.
  if (!parsed.success) return [];
  const item = parsed.data;
  switch (item.type) {
    case 'message': {
      const text = item.content
        .map((part) => (part.type === 'output_text' ? (part.text ?? '') : (part.refusal ?? '')))
        .join('');
      return [{ type: 'message', text }];
    }
    case 'function_call': {
      const args = item.arguments ?? '';
      return [
        {
          type: 'function_call',
          callId: item.call_id,
          name: item.name,
          arguments: args,
          parsed: parseArguments(args),
        },
      ];
    }
    case 'reasoning':
      return [
        {
          type: 'reasoning',
          id: item.id ?? '',
          summary: (item.summary ?? []).map((part) => part.text),
          ...(item.encrypted_content ? { encryptedContent: item.encrypted_content } : {}),
        },
      ];
    default: {
      const unhandled: never = item;
      throw new Error(`unhandled output item ${JSON.stringify(unhandled)}`);
    }
  }
}

function toUsage(usage: z.infer<typeof usageSchema> | undefined): Usage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    cachedInputTokens: usage?.input_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    reasoningTokens: usage?.output_tokens_details?.reasoning_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
  };
}
