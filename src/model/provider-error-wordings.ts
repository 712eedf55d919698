/**
 * How OpenAI-compatible servers word the errors we must recognise when their `code` and
 * `type` say nothing useful. Each pattern names where its wording comes from, so a
 * reworded server can be traced. Keep them specific: a false match turns a plain
 * rejection into a compaction, or a bug of ours into a silent retry.
 */

const CONTEXT_WINDOW_WORDINGS: readonly RegExp[] = [
  // OpenAI: "This model's maximum context length is 128000 tokens. However, your messages
  // resulted in 130000 tokens. Please reduce the length of the messages." vLLM words it the
  // same way (vllm/entrypoints/openai/serving_engine.py, _validate_input), and newer vLLM:
  // "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum
  // context length is 4096 tokens and your request has 2778 input tokens".
  /maximum context length/i,
  /reduce the length of the messages/i,
  // Azure OpenAI: "Your input exceeds the context window of this model."
  /exceeds? the (?:model's )?context window/i,
  // vLLM's engine (vllm/v1/engine/processor.py, _validate_model_input): "The decoder prompt
  // (length 8825) is longer than the maximum model length of 8192."
  /is longer than the maximum model length/i,
  // llama.cpp llama-server (tools/server/server-context.cpp): "request (1530 tokens)
  // exceeds the available context size (1024 tokens), try increasing it"; older builds and
  // LM Studio 0.4 (which embeds llama.cpp) stream "Context size has been exceeded." with
  // code 500 and type server_error.
  /exceeds the available context size/i,
  /context size has been exceeded/i,
  // Ollama (llm/server.go, errorInputTooLong, with truncate: false): "the input length
  // exceeds the context length".
  /input length exceeds the context length/i,
  // LM Studio 0.3 (its error is a bare string): "Trying to keep the first 6350 tokens when
  // context the overflows. However, the model is loaded with context length of only 4096
  // tokens, which is not enough. Try to load the model with a larger context length, or
  // provide a shorter input".
  /when context the overflows|load the model with a larger context length/i,
];

/**
 * Errors that name the request's own content: sending the same request again gets the
 * same answer, whatever the status (llama-server says it with a 500).
 */
const REQUEST_CONTENT_WORDINGS: readonly RegExp[] = [
  // llama.cpp llama-server (common/chat.cpp, when replayed tool-call arguments are not
  // JSON), answered with HTTP 500: "Failed to parse tool call arguments as JSON:
  // [json.exception.parse_error.101] …". SGLang's router words it the same way.
  /failed to parse tool call arguments/i,
];

/**
 * Broader wordings (Anthropic-style "prompt is too long", "too many tokens", any mention
 * of the context length), trusted only on a 400 or 413, where the request is at fault.
 */
const CONTEXT_WINDOW_WORDINGS_ON_4XX =
  /context (?:length|window)|too many tokens|prompt is too long|exceeds? the (?:model's )?(?:context|maximum)|input (?:is )?too long/i;

/**
 * Errors about the request's bytes or image count rather than its tokens, trusted on a
 * 400 or 413. OpenAI: "Too many images in request. Max is 500."; Gemini: "Request payload
 * size exceeds the limit"; Azure and others: "image ... exceeds the maximum size", "image
 * too large"; CDNs in front of a provider: "413 Request Entity Too Large".
 */
const REQUEST_SIZE_WORDINGS =
  /too many images|image(?:s)? (?:is |are )?too (?:large|big)|images? (?:size )?exceeds?|(?:payload|request|body) (?:size )?(?:is )?(?:too large|exceeds)|maximum (?:number of )?images|entity too large/i;

export function namesRequestSize(message: string): boolean {
  return REQUEST_SIZE_WORDINGS.test(message);
}

export function isContextWindowMessage(message: string, status: number | undefined): boolean {
  if (CONTEXT_WINDOW_WORDINGS.some((pattern) => pattern.test(message))) return true;
  return (status === 400 || status === 413) && CONTEXT_WINDOW_WORDINGS_ON_4XX.test(message);
}

export function namesRequestContent(message: string): boolean {
  return REQUEST_CONTENT_WORDINGS.some((pattern) => pattern.test(message));
}
