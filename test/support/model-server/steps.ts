import {
  CONTEXT_LENGTH_MESSAGE,
  QUOTA_MESSAGE,
  errorBody,
  llamaInvalidArgumentsBody,
  serverErrorBody,
} from './error-bodies.js';
import type { RecordedRequest, ScriptStep, ScriptedToolCall, ScriptedTurn } from './script.js';

export interface RateLimitOptions {
  /** `retry-after` header, seconds or an HTTP date, sent as given. */
  retryAfter?: string;
  /** `retry-after-ms` header, as given. */
  retryAfterMs?: string;
  /** `x-ratelimit-reset-requests`, e.g. "1s" or "6m0s"; also makes the error type "requests". */
  resetRequests?: string;
  /** `x-ratelimit-reset-tokens`, e.g. "20ms"; also makes the error type "tokens". */
  resetTokens?: string;
  /**
   * Replaces the default message. The default carries no "try again in …" hint, so a test
   * of header-only or hint-less 429s is not satisfied by parsing the message by accident.
   */
  message?: string;
}

function rateLimited(opts: RateLimitOptions = {}): ScriptStep {
  // OpenAI names the exhausted limit in `type`; with only a tokens reset hint it is tokens.
  const limit =
    opts.resetTokens !== undefined && opts.resetRequests === undefined ? 'tokens' : 'requests';
  const unit = limit === 'tokens' ? 'tokens per min (TPM)' : 'requests per min (RPM)';
  const message =
    opts.message ??
    `Rate limit reached for gpt-scripted in organization org-scripted on ${unit}: ` +
      'Limit 500, Used 500, Requested 1. Visit https://platform.openai.com/account/rate-limits to learn more.';
  const headers: Record<string, string> = {};
  if (opts.retryAfter !== undefined) headers['retry-after'] = opts.retryAfter;
  if (opts.retryAfterMs !== undefined) headers['retry-after-ms'] = opts.retryAfterMs;
  if (opts.resetRequests !== undefined) {
    headers['x-ratelimit-remaining-requests'] = '0';
    headers['x-ratelimit-reset-requests'] = opts.resetRequests;
  }
  if (opts.resetTokens !== undefined) {
    headers['x-ratelimit-remaining-tokens'] = '0';
    headers['x-ratelimit-reset-tokens'] = opts.resetTokens;
  }
  return {
    kind: 'status',
    status: 429,
    headers,
    body: errorBody(message, limit, 'rate_limit_exceeded'),
  };
}

/** Constructors for the common steps, so scripts read like the conversation they play. */
export const step = {
  text(text: string, extra: Partial<ScriptedTurn> = {}): ScriptStep {
    return { kind: 'turn', turn: { ...extra, text } };
  },

  toolCalls(calls: ScriptedToolCall[], extra: Partial<ScriptedTurn> = {}): ScriptStep {
    return { kind: 'turn', turn: { ...extra, toolCalls: calls } };
  },

  rateLimited,

  /** A 429 that waiting will not fix: the account is out of credit. */
  insufficientQuota(): ScriptStep {
    return {
      kind: 'status',
      status: 429,
      body: errorBody(QUOTA_MESSAGE, 'insufficient_quota', 'insufficient_quota'),
    };
  },

  /**
   * 400 for an over-long prompt. `viaMessageOnly` sends `code: null`, as some
   * OpenAI-compatible providers do, so only the message identifies it.
   */
  contextLengthExceeded(opts: { viaMessageOnly?: boolean } = {}): ScriptStep {
    const code = opts.viaMessageOnly === true ? null : 'context_length_exceeded';
    return {
      kind: 'status',
      status: 400,
      body: errorBody(CONTEXT_LENGTH_MESSAGE, 'invalid_request_error', code, 'messages'),
    };
  },

  serverError(status = 500): ScriptStep {
    return { kind: 'status', status, body: serverErrorBody(status) };
  },

  badRequest(message: string, code?: string): ScriptStep {
    return {
      kind: 'status',
      status: 400,
      body: errorBody(message, 'invalid_request_error', code ?? null),
    };
  },

  reset(): ScriptStep {
    return { kind: 'reset' };
  },

  stall(afterEvents: number, turn?: ScriptedTurn): ScriptStep {
    return turn === undefined
      ? { kind: 'stall', afterEvents }
      : { kind: 'stall', afterEvents, turn };
  },

  truncate(afterEvents: number, turn: ScriptedTurn): ScriptStep {
    return { kind: 'truncate', afterEvents, turn };
  },

  /** Superset of the agreed helpers: a mid-stream error after `afterEvents` events. */
  streamError(
    afterEvents: number,
    opts: { code?: string; message?: string; turn?: ScriptedTurn } = {},
  ): ScriptStep {
    return { kind: 'stream_error', afterEvents, ...opts };
  },

  /**
   * What llama-server does with a conversation that replays tool-call arguments that are
   * not a JSON object: HTTP 500, every time. Otherwise plays `next`.
   */
  rejectingInvalidReplayedArguments(next: ScriptStep): ScriptStep {
    return {
      kind: 'respond',
      fn: (request) => {
        const invalid = replayedArguments(request).find((args) => !isJsonObject(args));
        return invalid === undefined
          ? next
          : { kind: 'status', status: 500, body: llamaInvalidArgumentsBody(invalid) };
      },
    };
  },

  /** Superset of the agreed helpers: decide the step from the recorded request. */
  respond(fn: (request: RecordedRequest) => ScriptStep): ScriptStep {
    return { kind: 'respond', fn };
  },
};

/** The arguments of every function call the request replays, in either wire format. */
export function replayedArguments(request: RecordedRequest): string[] {
  const body = request.body as
    | {
        messages?: { tool_calls?: { function?: { arguments?: unknown } }[] }[];
        input?: { type?: unknown; arguments?: unknown }[];
      }
    | undefined;
  const fromChat = (body?.messages ?? []).flatMap((message) =>
    (message.tool_calls ?? []).map((call) => String(call.function?.arguments)),
  );
  const fromResponses = (Array.isArray(body?.input) ? body.input : []).flatMap((item) =>
    item.type === 'function_call' ? [String(item.arguments)] : [],
  );
  return [...fromChat, ...fromResponses];
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
