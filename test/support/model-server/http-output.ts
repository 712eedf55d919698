/**
 * Writing answers onto a node:http response, with the headers OpenAI sends and with every
 * wait abortable, so a closing server or a departed client never leaves a timer behind.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SseEvent } from './encoded-turn.js';
import { frame } from './encoded-turn.js';

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
export const JSON_CONTENT_TYPE = 'application/json';

export function sendJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  // A string body goes out untouched, so tests can send HTML error pages or broken JSON.
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const contentType = typeof body === 'string' ? 'text/plain; charset=utf-8' : JSON_CONTENT_TYPE;
  res.writeHead(status, { 'content-type': contentType, ...lowerCaseKeys(headers) });
  res.end(text);
}

/** Status and headers now, before any body byte, so the client's request resolves. */
export function startStream(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, {
    'content-type': SSE_CONTENT_TYPE,
    'cache-control': 'no-cache',
    ...lowerCaseKeys(headers),
  });
  res.flushHeaders();
}

/**
 * Writes events one by one, `delayMs` apart. Returns false if the client left or the
 * signal fired, so the caller stops instead of writing into a dead socket.
 */
export async function writeEvents(
  res: ServerResponse,
  events: readonly SseEvent[],
  delayMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  for (const [i, event] of events.entries()) {
    if (i > 0 && delayMs > 0 && !(await pause(delayMs, signal))) return false;
    if (signal.aborted || res.destroyed) return false;
    res.write(frame(event));
  }
  return !signal.aborted && !res.destroyed;
}

/** Resolves true after `ms`, or false as soon as the signal fires. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the signal fires: the silence of a stalled upstream. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
