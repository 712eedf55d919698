/**
 * Plays one script step onto an HTTP exchange: a whole turn, or one of the faults a real
 * provider produces (an error status, a reset connection, a stall, a cut or failing stream).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EncodedTurn } from './encoded-turn.js';
import {
  STREAM_ERROR_MESSAGE,
  defaultStatusBody,
  errorBody,
  errorTypeForCode,
} from './error-bodies.js';
import { sendJson, startStream, untilAborted, writeEvents } from './http-output.js';
import type { ScriptStep, ScriptedTurn } from './script.js';
import { DEFAULT_PARTIAL_TURN } from './script.js';

export type PlayableStep = Exclude<ScriptStep, { kind: 'respond' }>;

export interface PlayContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Encodes a turn for the API the client called. */
  encode(turn: ScriptedTurn): EncodedTurn;
  /** Whether the request asked for `stream: true`. */
  stream: boolean;
  /** Fires when the client disconnects or the server closes. */
  signal: AbortSignal;
  /** x-request-id, openai-processing-ms and the like, computed when the answer starts. */
  headers(): Record<string, string>;
}

export async function playStep(step: PlayableStep, ctx: PlayContext): Promise<void> {
  const { res } = ctx;
  switch (step.kind) {
    case 'status':
      sendJson(
        res,
        step.status,
        { ...ctx.headers(), ...step.headers },
        step.body ?? defaultStatusBody(step.status),
      );
      return;

    case 'reset':
      // No status line, no headers: the client sees ECONNRESET / "socket hang up".
      ctx.req.socket.destroy();
      return;

    case 'turn': {
      const encoded = ctx.encode(step.turn);
      if (!ctx.stream) {
        sendJson(res, 200, ctx.headers(), encoded.json);
        return;
      }
      startStream(res, ctx.headers());
      const events = [...encoded.body, ...encoded.terminal];
      if (await writeEvents(res, events, step.turn.eventDelayMs ?? 0, ctx.signal)) res.end();
      return;
    }

    case 'stall': {
      const turn = step.turn ?? DEFAULT_PARTIAL_TURN;
      if (ctx.stream) {
        const encoded = ctx.encode(turn);
        startStream(res, ctx.headers());
        await writeEvents(
          res,
          encoded.body.slice(0, step.afterEvents),
          turn.eventDelayMs ?? 0,
          ctx.signal,
        );
      } else {
        // Non-streaming: headers arrive, the body never does.
        res.writeHead(200, { 'content-type': 'application/json', ...ctx.headers() });
        res.flushHeaders();
      }
      // Keep the socket open and say nothing until the client gives up or the server closes.
      await untilAborted(ctx.signal);
      return;
    }

    case 'truncate': {
      const encoded = ctx.encode(step.turn);
      if (!ctx.stream) {
        // Non-streaming: half a JSON body, then a clean end.
        const text = JSON.stringify(encoded.json);
        res.writeHead(200, { 'content-type': 'application/json', ...ctx.headers() });
        res.end(text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      startStream(res, ctx.headers());
      const events = encoded.body.slice(0, step.afterEvents);
      if (await writeEvents(res, events, step.turn.eventDelayMs ?? 0, ctx.signal)) res.end();
      return;
    }

    case 'stream_error': {
      const code = step.code ?? 'server_error';
      const message = step.message ?? STREAM_ERROR_MESSAGE;
      if (!ctx.stream) {
        sendJson(res, 500, ctx.headers(), errorBody(message, errorTypeForCode(code), code));
        return;
      }
      const turn = step.turn ?? DEFAULT_PARTIAL_TURN;
      const encoded = ctx.encode(turn);
      startStream(res, ctx.headers());
      const events = [
        ...encoded.body.slice(0, step.afterEvents),
        ...encoded.error(step.afterEvents, code, message),
      ];
      if (await writeEvents(res, events, turn.eventDelayMs ?? 0, ctx.signal)) res.end();
      return;
    }

    case 'inject': {
      const encoded = ctx.encode(step.turn);
      startStream(res, ctx.headers());
      const end = step.end ?? 'complete';
      const rest =
        end === 'complete' ? [...encoded.body.slice(step.afterEvents), ...encoded.terminal] : [];
      const events = [...encoded.body.slice(0, step.afterEvents), ...step.events, ...rest];
      if (!(await writeEvents(res, events, step.turn.eventDelayMs ?? 0, ctx.signal))) return;
      if (end === 'reset') {
        // Let the bytes already written reach the client first, as a real mid-body loss does.
        await new Promise<void>((resolve) => res.socket?.write('', () => resolve()) ?? resolve());
        ctx.req.socket.destroy();
      } else res.end();
      return;
    }

    case 'raw_stream':
      startStream(res, ctx.headers());
      res.end(step.text);
      return;

    default: {
      const unhandled: never = step;
      throw new Error(`unhandled script step ${JSON.stringify(unhandled)}`);
    }
  }
}
