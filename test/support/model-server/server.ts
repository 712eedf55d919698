/**
 * The scripted model server: a real HTTP server on 127.0.0.1 (random port) that answers
 * POST /v1/responses and POST /v1/chat/completions from a script, one step per request,
 * and records every request it receives. Everything it owns lives in the closure of one
 * startScriptedModelServer call, so parallel tests never share state.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { encodeChatTurn } from './chat-stream.js';
import type { EncodeContext } from './encoded-turn.js';
import { SCRIPT_EXHAUSTED_MESSAGE, errorBody } from './error-bodies.js';
import { sendJson } from './http-output.js';
import { createIdGenerator } from './ids.js';
import type { PlayableStep } from './play-step.js';
import { playStep } from './play-step.js';
import { encodeResponsesTurn } from './responses-stream.js';
import type { RecordedRequest, ScriptStep } from './script.js';
import { planTurn } from './turn-plan.js';

export interface ScriptedModelServer {
  /** e.g. http://127.0.0.1:PORT/v1, for `new OpenAI({ baseURL })`. */
  baseURL: string;
  /** Every request received, in arrival order, including ones that got a 404 or 500. */
  requests: RecordedRequest[];
  /** Appends steps to the script. */
  push(...steps: ScriptStep[]): void;
  /** Steps not yet consumed. */
  remaining(): number;
  /** Stops the server, destroying open (e.g. stalled) connections so no test hangs. */
  close(): Promise<void>;
}

export interface ScriptedModelServerOptions {
  /** Clock for `receivedAt` and the `created` timestamps; defaults to Date.now. */
  now?: () => number;
  /**
   * Awaited before each request takes its step: a model's thinking time (the bench's 3 s a
   * turn), or a barrier that holds requests until enough arrive at once. Steps are taken in
   * the order these resolve.
   */
  beforeStep?: (request: RecordedRequest) => Promise<void>;
}

/** How deep `respond` steps may chain before we call it a bug in the test. */
const MAX_RESPOND_DEPTH = 16;

export async function startScriptedModelServer(
  script: ScriptStep[] = [],
  options: ScriptedModelServerOptions = {},
): Promise<ScriptedModelServer> {
  const now = options.now ?? Date.now;
  const queue: ScriptStep[] = [...script];
  const requests: RecordedRequest[] = [];
  const ids = createIdGenerator();
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = now();
    const requestId = ids.next('req_', 32);
    const headers = (): Record<string, string> => ({
      'x-request-id': requestId,
      'openai-processing-ms': String(Math.max(0, now() - receivedAt)),
      'openai-version': '2020-10-01',
      'openai-organization': 'org-scripted',
    });

    const rawBody = await readBody(req);
    const recorded = record(req, rawBody, receivedAt);
    requests.push(recorded);

    if (recorded.api === 'unknown') {
      // OpenAI's own wording for an unknown route.
      const target = `${recorded.method} ${pathnameOf(recorded.path)}`;
      sendJson(res, 404, headers(), errorBody(`Invalid URL (${target})`, 'invalid_request_error'));
      return;
    }
    if (!isRecord(recorded.body)) {
      sendJson(
        res,
        400,
        headers(),
        errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'),
      );
      return;
    }
    await options.beforeStep?.(recorded);
    const step = resolveStep(queue.shift(), recorded);
    if (typeof step === 'string') {
      sendJson(res, 500, headers(), errorBody(step, 'server_error'));
      return;
    }

    // Fires when the client goes away or the server closes, ending stalls and delays.
    const exchange = new AbortController();
    res.once('close', () => exchange.abort());
    const request = recorded.body;
    const api = recorded.api;
    await playStep(step, {
      req,
      res,
      stream: request['stream'] === true,
      signal: AbortSignal.any([closing.signal, exchange.signal]),
      headers,
      encode(turn) {
        const ctx: EncodeContext = { request, nowSeconds: Math.floor(now() / 1000) };
        const plan = planTurn(turn, rawBody, ids);
        return api === 'responses'
          ? encodeResponsesTurn(plan, ctx, ids.next('resp_'))
          : encodeChatTurn(plan, ctx, ids.next('chatcmpl-', 29));
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug here must reach the test as a failure it can see, not as a hang.
      if (!res.headersSent) {
        sendJson(
          res,
          500,
          {},
          errorBody(`scripted model server: ${String(error)}`, 'server_error'),
        );
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    push(...steps) {
      queue.push(...steps);
    },
    remaining() {
      return queue.length;
    },
    close() {
      closing.abort();
      for (const socket of sockets) socket.destroy();
      // server.close fails with ERR_SERVER_NOT_RUNNING on a second call; closing twice is fine.
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Follows `respond` steps to a playable one, or returns the error message to answer 500 with. */
function resolveStep(
  step: ScriptStep | undefined,
  request: RecordedRequest,
): PlayableStep | string {
  let current = step;
  for (let depth = 0; depth < MAX_RESPOND_DEPTH; depth++) {
    if (current === undefined) {
      return `${SCRIPT_EXHAUSTED_MESSAGE} (request ${request.method} ${request.path} had no step left)`;
    }
    if (current.kind !== 'respond') return current;
    try {
      current = current.fn(request);
    } catch (error) {
      return `scripted model server: respond step threw: ${String(error)}`;
    }
  }
  return `scripted model server: respond steps chained more than ${MAX_RESPOND_DEPTH} deep`;
}

function record(req: IncomingMessage, rawBody: string, receivedAt: number): RecordedRequest {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const pathname = pathnameOf(path);
  const api =
    method === 'POST' && pathname === '/v1/responses'
      ? 'responses'
      : method === 'POST' && pathname === '/v1/chat/completions'
        ? 'chat'
        : 'unknown';
  return {
    method,
    path,
    headers: { ...req.headers },
    rawBody,
    body: parseJson(rawBody),
    api,
    receivedAt,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function pathnameOf(path: string): string {
  return new URL(path, 'http://127.0.0.1').pathname;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
