import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions/completions';
import type { ResponseCreateParamsStreaming } from 'openai/resources/responses/responses';
import { buildChatRequest } from './chat-request.js';
import { ChatStreamReader } from './chat-stream.js';
import { checkRequest, checkRequestBytes, checkWireBody } from './check-request.js';
import { classifyModelError } from './classify-error.js';
import { TransientModelError } from './errors.js';
import type { ModelConfig } from './model-config.js';
import { normalizeErrorBodies } from './normalize-error-bodies.js';
import { buildResponsesRequest, type WireOptions } from './responses-request.js';
import { ResponsesStreamReader, type StreamedTurn } from './responses-stream.js';
import { formatMs } from './retry-policy.js';
import type { ModelClient, ModelRequest, ModelTurn, StreamTurnOptions } from './types.js';
import { withRetries } from './with-retries.js';
import { describeError, PatchlingError } from '../errors.js';

const QUOTE_LIMIT = 300;

/** What the provider last sent, short enough for an error message. */
function quote(data: unknown): string {
  if (data === undefined) return '(nothing)';
  let text: string;
  try {
    text = JSON.stringify(data) ?? String(data);
  } catch {
    text = String(data);
  }
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

export interface ModelClientDeps {
  readonly clock?: { now(): number; random(): number };
  readonly fetch?: typeof fetch;
}

type WireBody =
  | { readonly api: 'responses'; readonly body: ResponseCreateParamsStreaming }
  | { readonly api: 'chat'; readonly body: ChatCompletionCreateParamsStreaming };

/**
 * The one ModelClient: the official `openai` package over either wire format, with its
 * own retries off so that one policy (retry-policy.ts) decides, and an idle deadline on
 * every stream so that nothing waits forever.
 */
export function createModelClient(config: ModelConfig, deps: ModelClientDeps = {}): ModelClient {
  const clock = deps.clock ?? { now: Date.now, random: Math.random };
  const provider = config.profile.name;
  const sdk = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    maxRetries: 0,
    // A backstop for connect + headers; the idle deadline below is what catches stalls.
    timeout: config.requestTimeoutMs,
    defaultHeaders: config.headers,
    fetch: normalizeErrorBodies(deps.fetch ?? globalThis.fetch),
    logLevel: 'off',
  });
  const wire: WireOptions = {
    model: config.model,
    profile: config.profile,
    ...(config.reasoningEffort ? { reasoningEffort: config.reasoningEffort } : {}),
  };

  async function attempt(wireBody: WireBody, options: StreamTurnOptions): Promise<StreamedTurn> {
    const controller = new AbortController();
    const external = options.signal;
    const forwardAbort = () => controller.abort(external?.reason);
    external?.addEventListener('abort', forwardAbort, { once: true });
    let stalled = false;
    // One timer, refreshed on every event: covers connecting, the first byte and each gap.
    const idle = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, config.idleTimeoutMs);
    const stallError = () =>
      new TransientModelError(
        `${provider} stream stalled: no data for ${formatMs(config.idleTimeoutMs)}`,
        'stall',
      );

    // The last thing the provider sent, quoted when it cannot be read.
    let last: unknown;
    try {
      let turn: StreamedTurn;
      if (wireBody.api === 'responses') {
        const reader = new ResponsesStreamReader(provider, clock.now, options.onEvent);
        const stream = await sdk.responses.create(wireBody.body, { signal: controller.signal });
        for await (const event of stream) {
          idle.refresh();
          last = event;
          reader.add(event);
        }
        // The SDK ends an aborted stream quietly instead of throwing.
        if (stalled) throw stallError();
        external?.throwIfAborted();
        turn = reader.finish();
      } else {
        const reader = new ChatStreamReader(provider, clock.now, options.onEvent);
        const stream = await sdk.chat.completions.create(wireBody.body, {
          signal: controller.signal,
        });
        for await (const chunk of stream) {
          idle.refresh();
          last = chunk;
          reader.add(chunk);
        }
        if (stalled) throw stallError();
        external?.throwIfAborted();
        turn = reader.finish();
      }
      return turn;
    } catch (error) {
      if (stalled) throw stallError();
      if (external?.aborted) throw external.reason;
      const classified = classifyModelError(error, provider, clock.now());
      if (classified instanceof PatchlingError) throw classified;
      // Anything else (a TypeError from bytes nobody expected) is the provider's protocol
      // fault: say what arrived, and let the retry policy try again.
      throw new TransientModelError(
        `${provider} sent data Patchling could not read (${describeError(error)}); last data received: ${quote(last)}`,
        'protocol',
        { cause: error },
      );
    } finally {
      clearTimeout(idle);
      external?.removeEventListener('abort', forwardAbort);
    }
  }

  return {
    profile: config.profile,
    model: config.model,
    api: config.api,
    async streamTurn(request: ModelRequest, options: StreamTurnOptions = {}): Promise<ModelTurn> {
      checkRequest(request, config.profile, config.api);
      const wireBody: WireBody =
        config.api === 'responses'
          ? { api: 'responses', body: buildResponsesRequest(request, wire) }
          : { api: 'chat', body: buildChatRequest(request, wire) };
      checkWireBody(wireBody.body, config.profile);
      const bytes = Buffer.byteLength(JSON.stringify(wireBody.body));
      checkRequestBytes(bytes, config.profile);

      const { value, attempts } = await withRetries(() => attempt(wireBody, options), {
        policy: config.retry,
        clock,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.deadlineAt !== undefined ? { deadlineAt: options.deadlineAt } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      return { ...value, attempts, requestBytes: bytes * attempts };
    },
  };
}
