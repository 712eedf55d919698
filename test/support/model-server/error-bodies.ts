/**
 * OpenAI's error JSON, `{ error: { message, type, param, code } }`, as documented in
 * https://platform.openai.com/docs/guides/error-codes and as the openai SDK parses it
 * (APIError takes `code`, `param` and `type` from `body.error`). Messages copy the
 * wording OpenAI really sends, because clients (ours included) match on it.
 */

export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface OpenAIErrorBody {
  error: OpenAIErrorObject;
}

export function errorBody(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

export const QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. ' +
  'For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';

export const CONTEXT_LENGTH_MESSAGE =
  "This model's maximum context length is 128000 tokens. However, your messages resulted in " +
  '130000 tokens. Please reduce the length of the messages.';

export const SCRIPT_EXHAUSTED_MESSAGE = 'scripted model server: script exhausted';

/** The body OpenAI sends for 5xx answers; 502 really comes from Cloudflare with this shape. */
export function serverErrorBody(status: number): OpenAIErrorBody {
  switch (status) {
    case 502:
      return errorBody('Bad gateway.', 'cf_bad_gateway', '502');
    case 503:
      return errorBody(
        'The server is overloaded or not ready yet. Please try again later.',
        'server_error',
      );
    default:
      return errorBody(
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
  }
}

/** A default body for a `status` step that names none. */
export function defaultStatusBody(status: number): OpenAIErrorBody {
  if (status >= 500) return serverErrorBody(status);
  return errorBody(`scripted model server: status ${status}`, 'invalid_request_error');
}

/** The `type` OpenAI pairs with an error `code`, for errors we synthesize from a code alone. */
export function errorTypeForCode(code: string | null): string {
  switch (code) {
    case 'insufficient_quota':
      return 'insufficient_quota';
    case 'rate_limit_exceeded':
      return 'tokens';
    case 'context_length_exceeded':
    case 'invalid_prompt':
      return 'invalid_request_error';
    default:
      return 'server_error';
  }
}

/** OpenAI's wording for a failure after a stream has started. */
export const STREAM_ERROR_MESSAGE =
  'The server had an error processing your request. Sorry about that! You can retry your request, ' +
  'or contact us through our help center at help.openai.com if you keep seeing this error.';

/**
 * llama.cpp's llama-server answers HTTP 500 with this when a replayed assistant message
 * carries tool-call arguments that are not JSON (observed with build b1-5b4ebc5; the
 * nlohmann::json parse error follows the colon).
 */
export function llamaInvalidArgumentsBody(raw: string): unknown {
  return {
    error: {
      code: 500,
      message:
        'Failed to parse tool call arguments as JSON: [json.exception.parse_error.101] parse error at ' +
        `line 1, column ${raw.length + 1}: syntax error while parsing value - invalid string: ` +
        `missing closing quote; last read: '${raw.slice(-20)}'`,
      type: 'server_error',
    },
  };
}
