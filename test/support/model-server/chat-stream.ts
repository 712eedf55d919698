/**
 * A scripted turn as Chat Completions sends it (POST /v1/chat/completions).
 *
 * Chunks follow OpenAI's "The chat completion chunk object" reference
 * (https://platform.openai.com/docs/api-reference/chat-streaming) and are type-checked
 * against openai-node v6's `ChatCompletionChunk`. As OpenAI does: the first delta carries
 * the role; a tool call arrives as a header delta (index, id, type, name, empty arguments)
 * followed by argument pieces that carry only the index; the finish reason comes in its own
 * chunk with an empty delta; with `stream_options.include_usage` every chunk has
 * `usage: null` and a last chunk with `choices: []` carries the usage; then `data: [DONE]`.
 * A mid-stream failure is a `data: {"error": {...}}` chunk, which the SDK raises as an APIError.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { EncodeContext, EncodedTurn, SseEvent } from './encoded-turn.js';
import { errorTypeForCode } from './error-bodies.js';
import type { TurnPlan } from './turn-plan.js';

type Delta = ChatCompletionChunk.Choice.Delta;

const SYSTEM_FINGERPRINT = 'fp_scripted';

export function encodeChatTurn(
  plan: TurnPlan,
  ctx: EncodeContext,
  completionId: string,
): EncodedTurn {
  const req = ctx.request;
  const model = typeof req['model'] === 'string' ? req['model'] : 'gpt-scripted';
  const options = req['stream_options'];
  const includeUsage =
    typeof options === 'object' && options !== null && 'include_usage' in options
      ? options.include_usage === true
      : false;

  const chunk = (choices: ChatCompletionChunk.Choice[]): ChatCompletionChunk => ({
    id: completionId,
    object: 'chat.completion.chunk',
    created: ctx.nowSeconds,
    model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    ...(includeUsage ? { usage: null } : {}),
  });
  const deltaChunk = (delta: Delta): ChatCompletionChunk =>
    chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]);

  const body: ChatCompletionChunk[] = [];
  const opening: Delta = { role: 'assistant', content: plan.message ? '' : null, refusal: null };
  if (plan.message || plan.toolCalls.length === 0)
    body.push(deltaChunk({ ...opening, content: '' }));
  for (const content of plan.message?.chunks ?? []) body.push(deltaChunk({ content }));
  plan.toolCalls.forEach((call, index) => {
    const header: Delta = {
      tool_calls: [
        { index, id: call.callId, type: 'function', function: { name: call.name, arguments: '' } },
      ],
    };
    // With no text, OpenAI folds the role into the first tool call's header delta.
    body.push(deltaChunk(index === 0 && !plan.message ? { ...opening, ...header } : header));
    for (const piece of call.argumentChunks) {
      body.push(deltaChunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });

  const finishReason =
    plan.finishReason !== 'stop'
      ? plan.finishReason
      : plan.toolCalls.length > 0
        ? 'tool_calls'
        : 'stop';
  const usage = chatUsage(plan);
  const terminal: SseEvent[] = [
    toSse(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }])),
    ...(includeUsage ? [toSse({ ...chunk([]), usage })] : []),
    { data: '[DONE]' },
  ];

  const toolCalls: ChatCompletionMessageToolCall[] = plan.toolCalls.map((call) => ({
    id: call.callId,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const json: ChatCompletion = {
    id: completionId,
    object: 'chat.completion',
    created: ctx.nowSeconds,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: plan.message?.text ?? null,
          refusal: null,
          annotations: [],
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };

  return {
    body: body.map(toSse),
    terminal,
    json,
    error(_afterEvents, code, message) {
      const error = { message, type: errorTypeForCode(code), param: null, code };
      return [{ data: JSON.stringify({ error }) }];
    },
  };
}

function toSse(chunk: ChatCompletionChunk): SseEvent {
  return { data: JSON.stringify(chunk) };
}

function chatUsage(plan: TurnPlan): CompletionUsage {
  const u = plan.usage;
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.totalTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}
