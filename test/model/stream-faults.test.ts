import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContextWindowExceeded,
  ProviderRejectedError,
  TransientModelError,
} from '../../src/model/errors.js';
import { createModelClient } from '../../src/model/openai-model-client.js';
import { RetriesExhaustedError } from '../../src/model/retry-policy.js';
import type { ModelRequest } from '../../src/model/types.js';
import {
  startScriptedModelServer,
  step,
  type ScriptStep,
  type ScriptedModelServer,
  type SseEvent,
} from '../support/model-server/index.js';
import { collect, retries } from '../support/model-events.js';
import { testModelConfig } from '../support/test-model-config.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/llama-server');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

const request: ModelRequest = {
  instructions: 'You are a test.',
  input: [{ type: 'message', role: 'user', content: [{ type: 'text', text: 'Fix the bug.' }] }],
  tools: [
    {
      name: 'shell',
      description: 'Run a command.',
      parameters: { type: 'object', properties: { command: { type: 'string' } } },
    },
  ],
};

let server: ScriptedModelServer;
beforeEach(async () => {
  server = await startScriptedModelServer();
});
afterEach(async () => {
  await server.close();
});

const data = (value: unknown): SseEvent => ({ data: JSON.stringify(value) });
const named = (value: { type: string; [field: string]: unknown }): SseEvent => ({
  event: value.type,
  data: JSON.stringify(value),
});
const fail = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the turn to fail');
    },
    (error: unknown) => error as Error,
  );

describe('Chat Completions streams that are not what the reader expects', () => {
  const client = (overrides = {}) =>
    createModelClient(testModelConfig(server.baseURL, 'chat', overrides));
  const errorChunk = (turnText: string, error: Record<string, unknown>): ScriptStep => ({
    kind: 'inject',
    turn: { text: turnText },
    afterEvents: 2,
    events: [data({ error })],
    end: 'cut',
  });

  it('retries an error object with a numeric 5xx code sent after a 200 (vLLM, OpenRouter)', async () => {
    server.push(
      errorChunk('partial', { message: 'Internal server error', code: 500 }),
      step.text('recovered'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'recovered' }]);
    expect(retries(events)).toEqual([
      expect.objectContaining({
        kind: 'transient',
        reason: 'provider error',
        message: expect.stringMatching(/failed mid-stream: Internal server error/),
      }),
    ]);
  });

  it('waits on a rate-limit error object mid-stream, honouring the hint in its message', async () => {
    server.push(
      errorChunk('partial', {
        message: 'Rate limit exceeded. Please try again in 120ms.',
        code: 429,
        type: 'rate_limit_error',
      }),
      step.text('after the wait'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'after the wait' }]);
    expect(retries(events)).toEqual([
      expect.objectContaining({ kind: 'rate_limit', delayMs: 120, delaySource: 'message' }),
    ]);
  });

  it("retries vLLM's older bare error object ({object: 'error'}) mid-stream", async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'partial' },
        afterEvents: 1,
        events: [
          data({
            object: 'error',
            message: 'CUDA out of memory',
            type: 'InternalServerError',
            code: 500,
          }),
        ],
        end: 'cut',
      },
      step.text('ok'),
    );
    const turn = await client().streamTurn(request);
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(server.requests).toHaveLength(2);
  });

  it('treats a mid-stream context error as one, by type or by wording, not as a server fault', async () => {
    server.push(
      errorChunk('x', {
        code: 400,
        message: 'request (1530 tokens) exceeds the available context size (1024 tokens)',
        type: 'exceed_context_size_error',
      }),
    );
    expect(await fail(client().streamTurn(request))).toBeInstanceOf(ContextWindowExceeded);
    server.push(
      errorChunk('x', {
        code: 500,
        message: 'Context size has been exceeded.',
        type: 'server_error',
      }),
    );
    expect(await fail(client().streamTurn(request))).toBeInstanceOf(ContextWindowExceeded);
    expect(server.requests).toHaveLength(2);
  });

  it('skips chunks without choices, keep-alives, vendor metadata and partial shapes', async () => {
    server.push({
      kind: 'inject',
      turn: { toolCalls: [{ name: 'shell', arguments: { command: 'ls' }, callId: 'call_1' }] },
      afterEvents: 2,
      events: [
        data({}),
        data({ object: 'chat.completion.chunk', choices: null }),
        data({ id: 'x', object: 'vendor.metadata', provider: { name: 'someone', latency_ms: 12 } }),
        data({ choices: [{ index: 0, delta: null }] }),
        data({ choices: [{ index: 0 }] }),
        data({ choices: ['not an object', 7] }),
        data({ choices: [{ index: 0, delta: { tool_calls: [{ function: 'broken' }] } }] }),
        data(42),
        data('a string'),
        data(null),
      ],
    });
    const turn = await client().streamTurn(request);
    expect(turn.items).toEqual([
      {
        type: 'function_call',
        callId: 'call_1',
        name: 'shell',
        arguments: '{"command":"ls"}',
        parsed: { ok: true, value: { command: 'ls' } },
      },
    ]);
    expect(turn.finishReason).toBe('tool_calls');
    expect(server.requests).toHaveLength(1);
  });

  it('retries a stream that OpenRouter ends with finish_reason "error", never taking its partial text', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'partial text' },
        afterEvents: 2,
        events: [data({ choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] })],
        end: 'cut',
      },
      step.text('whole'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'whole' }]);
    expect(retries(events)).toEqual([expect.objectContaining({ reason: 'provider error' })]);
  });

  it('retries a stream of skipped chunks that ends without a finish reason', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'half an answer' },
        afterEvents: 2,
        events: [data({ choices: [] }), data({ usage: { prompt_tokens: 3 } }), { data: '[DONE]' }],
        end: 'cut',
      },
      step.text('whole'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'whole' }]);
    expect(retries(events)).toEqual([
      expect.objectContaining({
        reason: 'stream cut short',
        message: expect.stringMatching(/before its final chunk/),
      }),
    ]);
  });

  it('retries a connection lost mid-body (undici\'s "TypeError: terminated")', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'some text before' },
        afterEvents: 3,
        events: [],
        end: 'reset',
      },
      step.text('ok'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(retries(events)).toEqual([expect.objectContaining({ kind: 'transient' })]);
    expect(retries(events)[0]!.reason).toMatch(/connection failed|stream cut short/);
  });

  it('turns an unexpected exception while reading into a classified protocol error quoting what arrived', async () => {
    let calls = 0;
    // A transport whose body fails after one good chunk with an error nobody classified.
    const brokenBody: typeof fetch = async () => {
      calls += 1;
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(
            encoder.encode(
              `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }], marker: 'LAST-CHUNK' })}\n\n`,
            ),
          );
        },
        pull(controller) {
          controller.error(new TypeError("Cannot read properties of undefined (reading 'x')"));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    };
    const error = await fail(
      createModelClient(testModelConfig(server.baseURL, 'chat'), { fetch: brokenBody }).streamTurn(
        request,
      ),
    );
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    const last = (error as RetriesExhaustedError).last;
    expect(last).toBeInstanceOf(TransientModelError);
    expect((last as TransientModelError).kind).toBe('protocol');
    expect(last.message).toMatch(/could not read \(Cannot read properties/);
    expect(last.message).toContain('LAST-CHUNK');
    expect(calls).toBe(4);
  });
});

describe('Responses API streams that are not what the reader expects', () => {
  const client = () => createModelClient(testModelConfig(server.baseURL, 'responses'));

  it('retries response.failed with a server error, sent without an error event', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'partial' },
        afterEvents: 2,
        events: [
          named({
            type: 'response.failed',
            response: {
              status: 'failed',
              error: { code: 'server_error', message: 'boom' },
              output: [],
            },
          }),
        ],
        end: 'cut',
      },
      step.text('ok'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(retries(events)).toEqual([expect.objectContaining({ reason: 'provider error' })]);
  });

  it('retries a flat error event with a server error, and waits on a rate-limit one', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'partial' },
        afterEvents: 2,
        events: [
          named({ type: 'error', code: 'server_error', message: 'The server had an error' }),
        ],
        end: 'cut',
      },
      {
        kind: 'inject',
        turn: { text: 'partial' },
        afterEvents: 2,
        events: [
          named({
            type: 'error',
            code: 'rate_limit_exceeded',
            message: 'Slow down. Please try again in 50ms.',
          }),
        ],
        end: 'cut',
      },
      step.text('ok'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(retries(events).map((e) => e.kind)).toEqual(['transient', 'rate_limit']);
    expect(retries(events)[1]!.delayMs).toBe(50);
  });

  it('ignores unknown event types and skips malformed known ones', async () => {
    server.push({
      kind: 'inject',
      turn: { text: 'the answer' },
      afterEvents: 2,
      events: [
        named({ type: 'response.vendor_keepalive' }),
        { event: 'ping', data: '{}' },
        named({ type: 'response.output_text.delta', delta: 17 }),
        named({ type: 'response.output_item.done', output_index: 'first' } as unknown as {
          type: string;
        }),
      ],
    });
    const turn = await client().streamTurn(request);
    expect(turn.items).toEqual([{ type: 'message', text: 'the answer' }]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a stream whose terminal event is malformed, as a truncated stream', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'partial' },
        afterEvents: 3,
        events: [named({ type: 'response.completed', response: null })],
        end: 'cut',
      },
      step.text('ok'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(retries(events)).toEqual([
      expect.objectContaining({
        reason: 'stream cut short',
        message: expect.stringMatching(/1 unreadable event/),
      }),
    ]);
  });

  it('treats response.failed with context_length_exceeded as a context error', async () => {
    server.push({
      kind: 'inject',
      turn: { text: 'partial' },
      afterEvents: 2,
      events: [
        named({
          type: 'response.failed',
          response: {
            status: 'failed',
            error: {
              code: 'context_length_exceeded',
              message: 'Your input exceeds the context window of this model.',
            },
          },
        }),
      ],
      end: 'cut',
    });
    expect(await fail(client().streamTurn(request))).toBeInstanceOf(ContextWindowExceeded);
  });
});

describe.each(['chat', 'responses'] as const)('provider errors over %s', (api) => {
  const client = (provider: 'openai' | 'local' = 'local') =>
    createModelClient(
      testModelConfig(server.baseURL, api, { provider: api === 'chat' ? provider : 'openai' }),
    );

  it("recognises llama-server's context error by its type, although its code is the number 400", async () => {
    const captured = JSON.parse(fixture('llama-server-b1-5b4ebc5-context-exceeded-400.json')) as {
      status: number;
      body: unknown;
    };
    server.push({ kind: 'status', status: captured.status, body: captured.body });
    const error = await fail(client().streamTurn(request));
    expect(error).toBeInstanceOf(ContextWindowExceeded);
    expect(error.message).toMatch(/exceeds the available context size/);
  });

  it.each([
    [
      'vLLM',
      400,
      {
        error: {
          object: 'error',
          message:
            "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      },
    ],
    [
      'vLLM engine',
      400,
      {
        error: {
          message:
            'The decoder prompt (length 8825) is longer than the maximum model length of 8192. Make sure that `max_model_len` is no smaller than the number of text tokens.',
          type: 'BadRequestError',
          code: 400,
        },
      },
    ],
    [
      'Ollama',
      400,
      {
        error: {
          message: 'the input length exceeds the context length',
          type: 'api_error',
          param: null,
          code: null,
        },
      },
    ],
    [
      'LM Studio 0.3',
      400,
      {
        error:
          'Trying to keep the first 6350 tokens when context the overflows. However, the model is loaded with context length of only 4096 tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input',
      },
    ],
    [
      'LM Studio 0.4 / older llama-server',
      500,
      { error: { code: 500, message: 'Context size has been exceeded.', type: 'server_error' } },
    ],
  ])('recognises the context error of %s', async (_server, status, body) => {
    server.push({ kind: 'status', status, body }, step.text('never'));
    expect(await fail(client().streamTurn(request))).toBeInstanceOf(ContextWindowExceeded);
    expect(server.requests).toHaveLength(1);
  });

  it("does not retry a 500 that names the request's own content (invalid replayed arguments)", async () => {
    server.push(
      step.rejectingInvalidReplayedArguments(step.text('never')),
      step.text('never either'),
    );
    const error = await fail(
      client().streamTurn({
        ...request,
        input: [
          ...request.input,
          { type: 'function_call', callId: 'c1', name: 'shell', arguments: '{"command": "ls' },
          { type: 'function_call_output', callId: 'c1', output: 'error' },
        ],
      }),
    );
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.message).toMatch(
      /Failed to parse tool call arguments as JSON.*not retried: the request itself is at fault/,
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe('llama-server captures, replayed', () => {
  const client = () =>
    createModelClient(testModelConfig(server.baseURL, 'chat', { provider: 'local' }));

  it('reads a tool call cut off by max_tokens as a length-limited turn with unparsable arguments', async () => {
    server.push({
      kind: 'raw_stream',
      text: fixture('llama-server-b1-5b4ebc5-chat-stream-toolcall-length.sse'),
    });
    const turn = await client().streamTurn(request);
    expect(turn.finishReason).toBe('length');
    const calls = turn.items.filter((item) => item.type === 'function_call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      callId: 'za6zRmfwOnQT3KtO1Sdot7ebfLeEGY3L',
      name: 'shell',
      parsed: { ok: false },
    });
    expect(calls[0]!.type === 'function_call' && calls[0]!.arguments.startsWith('{"command"')).toBe(
      true,
    );
  });

  it('reads the usage of its choice-less final chunk', async () => {
    server.push({
      kind: 'raw_stream',
      text: fixture('llama-server-b1-5b4ebc5-chat-stream-toolcall.sse'),
    });
    const turn = await client().streamTurn(request);
    expect(turn.finishReason).toBe('length');
    expect(turn.usage).toMatchObject({
      inputTokens: 161,
      cachedInputTokens: 160,
      outputTokens: 60,
      totalTokens: 221,
    });
  });
});
