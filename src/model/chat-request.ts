import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions/completions';
import type { WireOptions } from './responses-request.js';
import type { ConversationItem, MessageContent, ModelRequest } from './types.js';

/**
 * A Chat Completions request for OpenAI-compatible providers. Only fields the profile
 * accepts are set: Gemini, for one, answers 400 to `store` and `parallel_tool_calls`.
 */
export function buildChatRequest(
  request: ModelRequest,
  options: WireOptions,
): ChatCompletionCreateParamsStreaming {
  const { profile } = options;
  const body: ChatCompletionCreateParamsStreaming = {
    model: options.model,
    messages: [
      { role: profile.developerRole ? 'developer' : 'system', content: request.instructions },
      ...toMessages(request.input),
    ],
    stream: true,
  };
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        description: tool.description,
        parameters: { ...tool.parameters },
      },
    }));
    body.tool_choice = request.toolChoice ?? 'auto';
    if (profile.parallelToolCalls) body.parallel_tool_calls = true;
  }
  if (profile.streamUsage) body.stream_options = { include_usage: true };
  if (request.promptCacheKey && profile.promptCacheKey) {
    body.prompt_cache_key = request.promptCacheKey;
  }
  if (options.reasoningEffort) body.reasoning_effort = options.reasoningEffort;
  if (request.maxOutputTokens !== undefined) {
    if (profile.name === 'openai' || profile.name === 'azure') {
      body.max_completion_tokens = request.maxOutputTokens;
    } else {
      body.max_tokens = request.maxOutputTokens;
    }
  }
  if (request.outputSchema) {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: request.outputSchema.name,
        schema: { ...request.outputSchema.schema },
        strict: request.outputSchema.strict && profile.strictSchemas,
      },
    };
  }
  return body;
}

/**
 * Chat has no separate function-call items: calls ride on an assistant message. Runs of
 * assistant text and calls are merged into one assistant message, the way the provider
 * produced them; reasoning items have no Chat form and are dropped.
 */
function toMessages(input: readonly ConversationItem[]): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  let assistant: { text: string[]; calls: ChatCompletionMessageToolCall[] } | undefined;

  const flush = () => {
    if (!assistant) return;
    const content = assistant.text.join('');
    messages.push({
      role: 'assistant',
      content: content === '' && assistant.calls.length > 0 ? null : content,
      ...(assistant.calls.length > 0 ? { tool_calls: assistant.calls } : {}),
    });
    assistant = undefined;
  };

  for (const item of input) {
    switch (item.type) {
      case 'message':
        if (item.role === 'assistant') {
          // A new assistant message after calls starts a new turn.
          if (assistant && assistant.calls.length > 0) flush();
          assistant ??= { text: [], calls: [] };
          assistant.text.push(textOf(item.content));
        } else {
          flush();
          messages.push(
            item.role === 'developer'
              ? { role: 'system', content: textOf(item.content) }
              : { role: 'user', content: toUserContent(item.content) },
          );
        }
        break;
      case 'function_call':
        assistant ??= { text: [], calls: [] };
        assistant.calls.push({
          id: item.callId,
          type: 'function',
          function: { name: item.name, arguments: item.arguments },
        });
        break;
      case 'function_call_output':
        flush();
        messages.push({ role: 'tool', tool_call_id: item.callId, content: item.output });
        break;
      case 'reasoning':
        break;
      default: {
        const unhandled: never = item;
        throw new Error(`unknown conversation item ${JSON.stringify(unhandled)}`);
      }
    }
  }
  flush();
  return messages;
}

function textOf(content: readonly MessageContent[]): string {
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

function toUserContent(content: readonly MessageContent[]): string | ChatCompletionContentPart[] {
  if (content.every((part) => part.type === 'text')) return textOf(content);
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text' as const, text: part.text }
      : {
          type: 'image_url' as const,
          image_url: { url: `data:${part.mimeType};base64,${part.dataBase64}` },
        },
  );
}
