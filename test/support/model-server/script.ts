import type { SseEvent } from './encoded-turn.js';

/**
 * The vocabulary of a script: what the scripted model server says, one step per request.
 * Wire-neutral on purpose: the same turn plays as Responses API events or as Chat
 * Completions chunks, depending on which endpoint the client called.
 */

export interface ScriptedToolCall {
  name: string;
  /** An object is sent as JSON.stringify(object); a string is sent byte for byte, so tests can send invalid JSON. */
  arguments: string | Record<string, unknown>;
  /** Defaults to a generated `call_…` id. */
  callId?: string;
}

export interface ScriptedTurn {
  /** Assistant message text, streamed in `chunkSize` pieces. */
  text?: string;
  /** Function calls, streamed after the text (name first, then argument pieces). */
  toolCalls?: ScriptedToolCall[];
  /** Responses API only: a reasoning output item before the message. Chat ignores it. */
  reasoning?: { summary?: string; encryptedContent?: string };
  /** Token counts; anything absent is estimated from the request and output sizes. */
  usage?: {
    inputTokens?: number;
    cachedInputTokens?: number;
    outputTokens?: number;
    reasoningTokens?: number;
  };
  /** Responses: 'length' → status incomplete, reason max_output_tokens; 'content_filter' → reason content_filter. */
  finishReason?: 'stop' | 'length' | 'content_filter';
  /** Characters per text/argument delta. Small by default so clients must reassemble. */
  chunkSize?: number;
  /** Delay between SSE events, to make timing-dependent behaviour observable. */
  eventDelayMs?: number;
}

export type ScriptStep =
  | { kind: 'turn'; turn: ScriptedTurn }
  /** A plain HTTP answer. `body` defaults to an OpenAI error JSON; a string body is sent as-is. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Destroy the socket before any response byte. */
  | { kind: 'reset' }
  /** 200, headers and the first `afterEvents` events, then silence until the client aborts or the server closes. */
  | { kind: 'stall'; turn?: ScriptedTurn; afterEvents: number }
  /** The first `afterEvents` events, then a clean end without the final event(s). */
  | { kind: 'truncate'; turn: ScriptedTurn; afterEvents: number }
  /**
   * The first `afterEvents` events, then the API's mid-stream error. `turn` (a superset of the
   * agreed API) chooses what precedes the error; it defaults to a short text turn.
   */
  | {
      kind: 'stream_error';
      afterEvents: number;
      code?: string;
      message?: string;
      turn?: ScriptedTurn;
    }
  /**
   * Provider bytes the scripted encoders never produce: the first `afterEvents` events of
   * `turn`, then `events` verbatim (error chunks with numeric codes, choice-less chunks,
   * unknown event types), then either the rest of the turn (`end: 'complete'`, the
   * default), nothing more (`end: 'cut'`, a clean close with no final event), or a
   * destroyed socket (`end: 'reset'`, a connection lost mid-body).
   */
  | {
      kind: 'inject';
      turn: ScriptedTurn;
      afterEvents: number;
      events: SseEvent[];
      end?: 'complete' | 'cut' | 'reset';
    }
  /** 200 with a recorded SSE body, byte for byte (captures from real servers). */
  | { kind: 'raw_stream'; text: string }
  /** Decide from the request (e.g. answer differently when the body carries a tool result). */
  | { kind: 'respond'; fn: (request: RecordedRequest) => ScriptStep };

export type ScriptStepKind = ScriptStep['kind'];

export interface RecordedRequest {
  method: string;
  /** The request target as sent, e.g. `/v1/responses`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  api: 'responses' | 'chat' | 'unknown';
  receivedAt: number;
}

/** What precedes a mid-stream error or a stall when the step names no turn. */
export const DEFAULT_PARTIAL_TURN: ScriptedTurn = { text: 'Partial answer before the fault.' };
