/**
 * A scripted turn as the Responses API sends it (POST /v1/responses).
 *
 * Event order and fields follow OpenAI's "Responses streaming events" reference
 * (https://platform.openai.com/docs/api-reference/responses-streaming) and are type-checked
 * against openai-node v6's `ResponseStreamEvent`. Where the SDK's types and the wire
 * disagree we follow the wire, as recorded from api.openai.com in vercel/ai's fixtures
 * (packages/openai/src/responses/__fixtures__/*.chunks.txt):
 * - the `error` event nests its fields: `{ type: 'error', error: { type, code, message, param } }`,
 *   which makes the SDK throw an APIError mid-iteration, and is followed by `response.failed`;
 * - `response.error.code` is not limited to the SDK's enum (e.g. `insufficient_quota`);
 * - `usage` is `null` until the final event.
 */
import type {
  Response,
  ResponseErrorEvent,
  ResponseOutputItem,
  ResponseOutputText,
  ResponseReasoningItem,
  ResponseStreamEvent,
  ResponseUsage,
} from 'openai/resources/responses/responses';
import type { EncodeContext, EncodedTurn, SseEvent } from './encoded-turn.js';
import { errorTypeForCode } from './error-bodies.js';
import type { TurnPlan } from './turn-plan.js';

type WireResponse = Omit<Response, 'output_text' | 'usage' | 'error'> & {
  usage: ResponseUsage | null;
  error: { code: string; message: string } | null;
  store?: boolean;
};

/** An SDK stream event with its `response` (if any) replaced by the wire shape. */
type Wire<E> = E extends { response: Response }
  ? Omit<E, 'response'> & { response: WireResponse }
  : E;
type WireStreamEvent = Wire<Exclude<ResponseStreamEvent, ResponseErrorEvent>>;

export function encodeResponsesTurn(
  plan: TurnPlan,
  ctx: EncodeContext,
  responseId: string,
): EncodedTurn {
  const base = baseResponse(ctx, responseId);
  const events: WireStreamEvent[] = [];
  let sequence = 0;
  const seq = (): number => sequence++;

  events.push({
    type: 'response.created',
    response: { ...base, output: [] },
    sequence_number: seq(),
  });
  events.push({
    type: 'response.in_progress',
    response: { ...base, output: [] },
    sequence_number: seq(),
  });

  const output: ResponseOutputItem[] = [];
  const itemCount = (plan.reasoning ? 1 : 0) + (plan.message ? 1 : 0) + plan.toolCalls.length;
  // A response cut short by max_output_tokens leaves its last item incomplete.
  const statusOf = (index: number): 'completed' | 'incomplete' =>
    plan.finishReason !== 'stop' && index === itemCount - 1 ? 'incomplete' : 'completed';

  if (plan.reasoning) {
    const { id, summary, summaryChunks, encryptedContent } = plan.reasoning;
    const output_index = output.length;
    const item: ResponseReasoningItem = {
      id,
      type: 'reasoning',
      summary: [],
      ...(encryptedContent === undefined ? {} : { encrypted_content: encryptedContent }),
    };
    events.push({ type: 'response.output_item.added', output_index, item, sequence_number: seq() });
    if (summary !== undefined) {
      const where = { item_id: id, output_index, summary_index: 0 };
      events.push({
        type: 'response.reasoning_summary_part.added',
        ...where,
        part: { type: 'summary_text', text: '' },
        sequence_number: seq(),
      });
      for (const delta of summaryChunks) {
        events.push({
          type: 'response.reasoning_summary_text.delta',
          ...where,
          delta,
          sequence_number: seq(),
        });
      }
      events.push({
        type: 'response.reasoning_summary_text.done',
        ...where,
        text: summary,
        sequence_number: seq(),
      });
      events.push({
        type: 'response.reasoning_summary_part.done',
        ...where,
        part: { type: 'summary_text', text: summary },
        sequence_number: seq(),
      });
    }
    const done: ResponseReasoningItem = {
      ...item,
      summary: summary === undefined ? [] : [{ type: 'summary_text', text: summary }],
    };
    events.push({
      type: 'response.output_item.done',
      output_index,
      item: done,
      sequence_number: seq(),
    });
    output.push(done);
  }

  if (plan.message) {
    const { id, text, chunks } = plan.message;
    const output_index = output.length;
    const where = { item_id: id, output_index, content_index: 0 };
    events.push({
      type: 'response.output_item.added',
      output_index,
      item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
      sequence_number: seq(),
    });
    events.push({
      type: 'response.content_part.added',
      ...where,
      part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      sequence_number: seq(),
    });
    for (const delta of chunks) {
      events.push({
        type: 'response.output_text.delta',
        ...where,
        delta,
        logprobs: [],
        sequence_number: seq(),
      });
    }
    events.push({
      type: 'response.output_text.done',
      ...where,
      text,
      logprobs: [],
      sequence_number: seq(),
    });
    const part: ResponseOutputText = { type: 'output_text', annotations: [], logprobs: [], text };
    events.push({ type: 'response.content_part.done', ...where, part, sequence_number: seq() });
    const done: ResponseOutputItem = {
      id,
      type: 'message',
      status: statusOf(output_index),
      content: [{ ...part }],
      role: 'assistant',
    };
    events.push({
      type: 'response.output_item.done',
      output_index,
      item: done,
      sequence_number: seq(),
    });
    output.push(done);
  }

  for (const call of plan.toolCalls) {
    const output_index = output.length;
    const item = {
      id: call.itemId,
      type: 'function_call',
      call_id: call.callId,
      name: call.name,
    } as const;
    events.push({
      type: 'response.output_item.added',
      output_index,
      item: { ...item, status: 'in_progress', arguments: '' },
      sequence_number: seq(),
    });
    for (const delta of call.argumentChunks) {
      events.push({
        type: 'response.function_call_arguments.delta',
        item_id: call.itemId,
        output_index,
        delta,
        sequence_number: seq(),
      });
    }
    events.push({
      type: 'response.function_call_arguments.done',
      item_id: call.itemId,
      output_index,
      arguments: call.arguments,
      sequence_number: seq(),
    });
    const done: ResponseOutputItem = {
      ...item,
      status: statusOf(output_index),
      arguments: call.arguments,
    };
    events.push({
      type: 'response.output_item.done',
      output_index,
      item: done,
      sequence_number: seq(),
    });
    output.push(done);
  }

  const final = finalResponse(base, plan, output, ctx);
  const terminal: WireStreamEvent =
    final.status === 'completed'
      ? { type: 'response.completed', response: final, sequence_number: seq() }
      : { type: 'response.incomplete', response: final, sequence_number: seq() };

  return {
    body: events.map(toSse),
    terminal: [toSse(terminal)],
    json: final,
    error(afterEvents, code, message) {
      const cut = Math.min(afterEvents, events.length);
      const finished = events
        .slice(0, cut)
        .flatMap((e) => (e.type === 'response.output_item.done' ? [e.item] : []));
      const errorEvent = {
        type: 'error',
        error: { type: errorTypeForCode(code), code, message, param: null },
        sequence_number: cut,
      };
      const failed: WireStreamEvent = {
        type: 'response.failed',
        response: { ...base, status: 'failed', error: { code, message }, output: finished },
        sequence_number: cut + 1,
      };
      return [{ event: 'error', data: JSON.stringify(errorEvent) }, toSse(failed)];
    },
  };
}

function toSse(event: WireStreamEvent): SseEvent {
  return { event: event.type, data: JSON.stringify(event) };
}

/** The response object as it stands when created: request settings echoed, no output yet. */
function baseResponse(ctx: EncodeContext, id: string): WireResponse {
  const req = ctx.request;
  // Echoed verbatim from the request, as OpenAI does; their shapes are the client's business.
  const echo = <T>(key: string, fallback: T): T => (key in req ? (req[key] as T) : fallback);
  return {
    id,
    object: 'response',
    access_programs: echo('access_programs', null),
    created_at: ctx.nowSeconds,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: echo('instructions', null),
    max_output_tokens: echo('max_output_tokens', null),
    model: echo('model', 'gpt-scripted'),
    output: [],
    parallel_tool_calls: echo('parallel_tool_calls', true),
    previous_response_id: echo('previous_response_id', null),
    reasoning: echo('reasoning', { effort: null, summary: null }),
    service_tier: 'auto',
    store: echo('store', true),
    temperature: echo('temperature', 1),
    text: echo('text', { format: { type: 'text' } }),
    tool_choice: echo('tool_choice', 'auto'),
    tools: echo('tools', []),
    top_p: echo('top_p', 1),
    truncation: echo('truncation', 'disabled'),
    usage: null,
    metadata: echo('metadata', {}),
  };
}

function finalResponse(
  base: WireResponse,
  plan: TurnPlan,
  output: ResponseOutputItem[],
  ctx: EncodeContext,
): WireResponse {
  const u = plan.usage;
  const usage: ResponseUsage = {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens, cache_write_tokens: 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
  if (plan.finishReason === 'stop') {
    return { ...base, status: 'completed', completed_at: ctx.nowSeconds, output, usage };
  }
  const reason = plan.finishReason === 'length' ? 'max_output_tokens' : 'content_filter';
  return { ...base, status: 'incomplete', incomplete_details: { reason }, output, usage };
}
