import type {
  ResponseCreateParamsStreaming,
  ResponseInputItem,
} from 'openai/resources/responses/responses';
import type { ProviderProfile } from './provider-profiles.js';
import type { ConversationItem, MessageContent, ModelRequest } from './types.js';

export interface WireOptions {
  readonly model: string;
  readonly profile: ProviderProfile;
  readonly reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
}

/**
 * A Responses API request, stateless: store false, the full input every turn, no
 * previous_response_id. Reasoning comes back encrypted so it can be sent again.
 */
export function buildResponsesRequest(
  request: ModelRequest,
  options: WireOptions,
): ResponseCreateParamsStreaming {
  const { profile } = options;
  const body: ResponseCreateParamsStreaming = {
    model: options.model,
    instructions: request.instructions,
    input: request.input.flatMap((item) => toInputItems(item, profile)),
    tools: request.tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description,
      parameters: { ...tool.parameters },
      strict: false,
    })),
    tool_choice: request.toolChoice ?? 'auto',
    store: false,
    stream: true,
  };
  if (request.tools.length > 0 && profile.parallelToolCalls) body.parallel_tool_calls = true;
  if (request.promptCacheKey && profile.promptCacheKey) {
    body.prompt_cache_key = request.promptCacheKey;
  }
  if (options.reasoningEffort) {
    body.reasoning = { effort: options.reasoningEffort, summary: 'auto' };
    if (profile.reasoningItems) body.include = ['reasoning.encrypted_content'];
  }
  if (request.maxOutputTokens !== undefined) body.max_output_tokens = request.maxOutputTokens;
  if (request.outputSchema) {
    body.text = {
      format: {
        type: 'json_schema',
        name: request.outputSchema.name,
        schema: { ...request.outputSchema.schema },
        strict: request.outputSchema.strict && profile.strictSchemas,
      },
    };
  }
  return body;
}

function toInputItems(item: ConversationItem, profile: ProviderProfile): ResponseInputItem[] {
  switch (item.type) {
    case 'message':
      if (item.role === 'assistant') {
        const text = item.content
          .flatMap((part) => (part.type === 'text' ? [part.text] : []))
          .join('');
        // The plain form: with store false there is no stored item an id could name.
        return [{ type: 'message', role: 'assistant', content: text }];
      }
      return [
        {
          type: 'message',
          role: item.role,
          content: item.content.map(toInputContent),
        },
      ];
    case 'function_call':
      return [
        { type: 'function_call', call_id: item.callId, name: item.name, arguments: item.arguments },
      ];
    case 'function_call_output':
      return [{ type: 'function_call_output', call_id: item.callId, output: item.output }];
    case 'reasoning':
      // Without encrypted content a stateless request cannot refer to it: drop it.
      if (!profile.reasoningItems || item.encryptedContent === undefined) return [];
      // No id: with store false, an id would name an item the provider never stored.
      return [
        {
          type: 'reasoning',
          summary: item.summary.map((text) => ({ type: 'summary_text' as const, text })),
          encrypted_content: item.encryptedContent,
        } as ResponseInputItem,
      ];
    default: {
      const unhandled: never = item;
      throw new Error(`unknown conversation item ${JSON.stringify(unhandled)}`);
    }
  }
}

function toInputContent(part: MessageContent) {
  if (part.type === 'text') return { type: 'input_text' as const, text: part.text };
  return {
    type: 'input_image' as const,
    image_url: `data:${part.mimeType};base64,${part.dataBase64}`,
    detail: 'auto' as const,
  };
}
