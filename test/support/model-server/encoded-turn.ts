/**
 * One server-sent event and the shape both wire encoders produce, so the fault player
 * (play-step.ts) can cut, stall or break a stream without knowing which API it speaks.
 */
export interface SseEvent {
  /** The `event:` field. The Responses API names every event; Chat Completions never does. */
  event?: string;
  /** The `data:` field: JSON, or Chat's `[DONE]` sentinel. */
  data: string;
}

export interface EncodedTurn {
  /** Everything before the end of the answer; `afterEvents` counts into this list. */
  body: SseEvent[];
  /** What marks a complete answer: `response.completed` / `response.incomplete`; Chat's finish chunk, usage chunk and `[DONE]`. */
  terminal: SseEvent[];
  /** The API's mid-stream error, sent after the first `afterEvents` body events. */
  error(afterEvents: number, code: string, message: string): SseEvent[];
  /** The same turn as a non-streaming JSON answer. */
  json: unknown;
}

/** Context an encoder needs beyond the turn itself. */
export interface EncodeContext {
  /** The parsed request body (fields such as `model` and `tools` are echoed back, as OpenAI does). */
  request: Record<string, unknown>;
  /** Unix seconds. */
  nowSeconds: number;
}

/** SSE framing: optional `event:` line, one `data:` line (our JSON never contains a newline), blank line. */
export function frame(event: SseEvent): string {
  return (event.event === undefined ? '' : `event: ${event.event}\n`) + `data: ${event.data}\n\n`;
}
