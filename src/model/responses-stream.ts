import type {
  Response,
  ResponseOutputItem,
  ResponseStreamEvent,
  ResponseUsage,
} from 'openai/resources/responses/responses';
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
 * Folds Responses API stream events into a turn. Only a terminal event
 * (response.completed or response.incomplete) makes the turn complete: a stream that ends
 * without one was cut, and its partial output is never taken as the answer.
 */
export class ResponsesStreamReader {
  private readonly done = new Map<number, ResponseOutputItem>();
  private terminal: { response: Response; finishReason: FinishReason } | undefined;

  constructor(
    private readonly provider: string,
    private readonly now: () => number,
    private readonly onEvent?: (event: ModelEvent) => void,
  ) {}

  /** Throws the classified error when the stream reports a failure. */
  add(event: ResponseStreamEvent): void {
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
          { code: error?.code ?? undefined, message: error?.message ?? 'response failed' },
          this.provider,
          this.now(),
        );
      }
      case 'error':
        throw classifyStreamFailure(
          { code: event.code ?? undefined, message: event.message },
          this.provider,
          this.now(),
        );
      default:
        return;
    }
  }

  finish(): StreamedTurn {
    if (!this.terminal) {
      throw new TransientModelError(
        `${this.provider} closed the stream before its final event`,
        'truncated',
      );
    }
    const { response, finishReason } = this.terminal;
    // Items as each was finished; the terminal event's own list when the stream gave none.
    const raw =
      this.done.size > 0
        ? [...this.done.entries()].sort(([a], [b]) => a - b).map(([, item]) => item)
        : response.output;
    const items = raw.flatMap(toOutputItem);
    const hasCalls = items.some((item) => item.type === 'function_call');
    return {
      items,
      usage: toUsage(response.usage ?? undefined),
      finishReason: finishReason === 'stop' && hasCalls ? 'tool_calls' : finishReason,
    };
  }
}

function toOutputItem(item: ResponseOutputItem): OutputItem[] {
  switch (item.type) {
    case 'message': {
      const text = item.content
        .map((part) => (part.type === 'output_text' ? part.text : part.refusal))
        .join('');
      return [{ type: 'message', text }];
    }
    case 'function_call':
      return [
        {
          type: 'function_call',
          callId: item.call_id,
          name: item.name,
          arguments: item.arguments,
          parsed: parseArguments(item.arguments),
        },
      ];
    case 'reasoning':
      return [
        {
          type: 'reasoning',
          id: item.id,
          summary: item.summary.map((part) => part.text),
          ...(item.encrypted_content ? { encryptedContent: item.encrypted_content } : {}),
        },
      ];
    default:
      // Built-in tool calls (web search and the like) are never requested by Patchling.
      return [];
  }
}

function toUsage(usage: ResponseUsage | undefined): Usage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    cachedInputTokens: usage?.input_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    reasoningTokens: usage?.output_tokens_details?.reasoning_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
  };
}
