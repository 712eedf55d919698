import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContextWindowExceeded,
  ProviderRejectedError,
  QuotaExhaustedError,
  UnsupportedRequestError,
} from '../../src/model/errors.js';
import { createModelClient } from '../../src/model/openai-model-client.js';
import { RetriesExhaustedError } from '../../src/model/retry-policy.js';
import type { ModelRequest } from '../../src/model/types.js';
import {
  startScriptedModelServer,
  step,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { collect, retries } from '../support/model-events.js';
import { testModelConfig } from '../support/test-model-config.js';

const request: ModelRequest = {
  instructions: 'You are a test.',
  input: [{ type: 'message', role: 'user', content: [{ type: 'text', text: 'Fix the bug.' }] }],
  tools: [
    {
      name: 'shell',
      description: 'Run a command.',
      parameters: {
        type: 'object',
        properties: { command: { type: 'string' } },
        required: ['command'],
      },
    },
  ],
  promptCacheKey: 'run-123',
};

let server: ScriptedModelServer;
beforeEach(async () => {
  server = await startScriptedModelServer();
});
afterEach(async () => {
  await server.close();
});

describe.each(['responses', 'chat'] as const)('model client over %s', (api) => {
  const client = (overrides = {}) =>
    createModelClient(testModelConfig(server.baseURL, api, overrides));

  it('streams a text turn into a message item with usage, emitting deltas', async () => {
    server.push(
      step.text('All tests pass.', {
        usage: { inputTokens: 120, cachedInputTokens: 64, outputTokens: 7 },
      }),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'All tests pass.' }]);
    expect(turn.finishReason).toBe('stop');
    expect(turn.usage).toMatchObject({ inputTokens: 120, cachedInputTokens: 64, outputTokens: 7 });
    expect(turn.attempts).toBe(1);
    expect(turn.requestBytes).toBe(Buffer.byteLength(server.requests[0]!.rawBody));
    const text = events.flatMap((e) => (e.type === 'text_delta' ? [e.delta] : [])).join('');
    expect(text).toBe('All tests pass.');
  });

  it('reassembles streamed function calls with their parsed arguments', async () => {
    server.push(
      step.toolCalls([
        { name: 'shell', arguments: { command: 'npm test -- --run "a b"' }, callId: 'call_a' },
        { name: 'shell', arguments: { command: 'git diff' }, callId: 'call_b' },
      ]),
    );
    const turn = await client().streamTurn(request);
    expect(turn.finishReason).toBe('tool_calls');
    expect(turn.items.filter((i) => i.type === 'function_call')).toEqual([
      {
        type: 'function_call',
        callId: 'call_a',
        name: 'shell',
        arguments: '{"command":"npm test -- --run \\"a b\\""}',
        parsed: { ok: true, value: { command: 'npm test -- --run "a b"' } },
      },
      {
        type: 'function_call',
        callId: 'call_b',
        name: 'shell',
        arguments: '{"command":"git diff"}',
        parsed: { ok: true, value: { command: 'git diff' } },
      },
    ]);
  });

  it('returns arguments that are not JSON as a parse failure for the loop, not as a transport error', async () => {
    server.push(
      step.toolCalls([{ name: 'shell', arguments: '{"command": "ls', callId: 'call_x' }]),
    );
    const turn = await client().streamTurn(request);
    const call = turn.items.find((i) => i.type === 'function_call');
    expect(call).toMatchObject({ arguments: '{"command": "ls', parsed: { ok: false } });
    expect(server.requests).toHaveLength(1);
  });

  it('waits as long as retry-after-ms says on a 429, then retries', async () => {
    server.push(step.rateLimited({ retryAfterMs: '300' }), step.text('ok'));
    const { events, onEvent } = collect();
    const started = performance.now();
    const turn = await client().streamTurn(request, { onEvent });
    const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(gap).toBeGreaterThanOrEqual(295);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(retries(events)).toEqual([
      expect.objectContaining({
        kind: 'rate_limit',
        delayMs: 300,
        delaySource: 'retry-after',
        attempt: 2,
      }),
    ]);
    expect(turn.attempts).toBe(2);
  });

  it('honours Retry-After in seconds and x-ratelimit-reset-* headers', async () => {
    server.push(
      step.rateLimited({ retryAfter: '1' }),
      step.rateLimited({ resetTokens: '150ms' }),
      step.text('ok'),
    );
    const { events, onEvent } = collect();
    await client().streamTurn(request, { onEvent });
    expect(retries(events).map((e) => e.delayMs)).toEqual([1000, 150]);
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(
      995,
    );
  });

  it('parses "Please try again in …" from a 429 with no header', async () => {
    server.push(
      step.rateLimited({
        message:
          'Rate limit reached for test-model on tokens per min (TPM): Limit 30000, Used 30000, Requested 900. Please try again in 0.2s.',
      }),
      step.rateLimited({ message: 'Rate limit reached. Please try again in 20ms.' }),
      step.text('ok'),
    );
    const { events, onEvent } = collect();
    await client().streamTurn(request, { onEvent });
    expect(retries(events).map((e) => [e.delayMs, e.delaySource])).toEqual([
      [200, 'message'],
      [20, 'message'],
    ]);
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(
      195,
    );
  });

  it('backs off on a 429 with no hint until the rate-limit budget is spent', async () => {
    for (let i = 0; i < 40; i++) server.push(step.rateLimited({ message: 'Too many requests' }));
    const { events, onEvent } = collect();
    const started = performance.now();
    const error = await client({
      retry: { maxTransientRetries: 3, rateLimitBudgetMs: 300, baseDelayMs: 20, maxDelayMs: 80 },
    })
      .streamTurn(request, { onEvent })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).message).toMatch(/still rate limited after \d+ attempts/);
    const waits = retries(events);
    expect(waits.length).toBeGreaterThanOrEqual(4);
    expect(waits.every((e) => e.delaySource === 'backoff')).toBe(true);
    expect(waits.reduce((sum, e) => sum + e.delayMs, 0)).toBe(300);
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(2000);
    expect(server.requests).toHaveLength(waits.length + 1);
  });

  it('fails at once on insufficient_quota, without retrying', async () => {
    server.push(step.insufficientQuota(), step.text('never'));
    const error = await client()
      .streamTurn(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as Error).message).toMatch(/^quota exhausted/);
    expect(server.requests).toHaveLength(1);
  });

  it.each([500, 502, 503])('retries a %d with backoff', async (status) => {
    server.push(step.serverError(status), step.text('recovered'));
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'recovered' }]);
    expect(retries(events)).toEqual([
      expect.objectContaining({ kind: 'transient', reason: 'provider error' }),
    ]);
  });

  it('gives up on 5xx after a bounded number of attempts', async () => {
    for (let i = 0; i < 10; i++) server.push(step.serverError(503));
    const error = await client()
      .streamTurn(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).message).toMatch(/gave up after 4 attempts/);
    expect(server.requests).toHaveLength(4);
  });

  it('retries a connection reset', async () => {
    server.push(step.reset(), step.text('ok'));
    const { events, onEvent } = collect();
    await client().streamTurn(request, { onEvent });
    expect(retries(events)).toEqual([expect.objectContaining({ reason: 'connection failed' })]);
    expect(server.requests).toHaveLength(2);
  });

  it('aborts a stream that goes silent after its idle deadline, and retries', async () => {
    server.push(step.stall(2, { text: 'never finished' }), step.text('second try'));
    const { events, onEvent } = collect();
    const started = performance.now();
    const turn = await client({ idleTimeoutMs: 250 }).streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'second try' }]);
    expect(retries(events)).toEqual([expect.objectContaining({ reason: 'stream stalled' })]);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('retries a stream that closes before its final event and never takes the partial turn', async () => {
    server.push(
      step.truncate(3, { text: 'half of an answer that is long enough to stream' }),
      step.text('whole'),
    );
    const { events, onEvent } = collect();
    const turn = await client().streamTurn(request, { onEvent });
    expect(turn.items).toEqual([{ type: 'message', text: 'whole' }]);
    expect(retries(events)).toEqual([expect.objectContaining({ reason: 'stream cut short' })]);
  });

  it('retries a server error reported inside the stream', async () => {
    server.push(
      {
        kind: 'stream_error',
        afterEvents: 2,
        code: 'server_error',
        message: 'The server had an error',
      },
      step.text('ok'),
    );
    const turn = await client().streamTurn(request);
    expect(turn.items).toEqual([{ type: 'message', text: 'ok' }]);
    expect(server.requests).toHaveLength(2);
  });

  it.each([false, true])(
    'raises ContextWindowExceeded for a context-length 400 (message only: %s)',
    async (viaMessageOnly) => {
      server.push(step.contextLengthExceeded({ viaMessageOnly }), step.text('never'));
      const error = await client()
        .streamTurn(request)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContextWindowExceeded);
      expect(server.requests).toHaveLength(1);
    },
  );

  it("fails at once on any other 4xx with the provider's own message", async () => {
    server.push(
      step.badRequest("Invalid value for 'tool_choice': 'sometimes'.", 'invalid_value'),
      step.text('never'),
    );
    const error = await client()
      .streamTurn(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect((error as Error).message).toBe(
      "openai rejected the request (400 invalid_value): Invalid value for 'tool_choice': 'sometimes'.",
    );
    expect(server.requests).toHaveLength(1);
  });

  it('stops waiting at once when the caller aborts', async () => {
    server.push(step.rateLimited({ retryAfterMs: '5000' }), step.text('never'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const started = performance.now();
    const error = await client({
      retry: { maxTransientRetries: 3, rateLimitBudgetMs: 60_000, baseDelayMs: 10, maxDelayMs: 40 },
    })
      .streamTurn(request, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('run cancelled');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(server.requests).toHaveLength(1);
  });

  it('does not start a wait that would pass the run deadline', async () => {
    server.push(step.rateLimited({ retryAfterMs: '1500' }), step.text('never'));
    const error = await client()
      .streamTurn(request, { deadlineAt: Date.now() + 500 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/would pass the run's deadline/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('connection failures', () => {
  it('retries when the connection is refused, then says so', async () => {
    const closed = await startScriptedModelServer();
    const baseURL = closed.baseURL;
    await closed.close();
    const { events, onEvent } = collect();
    const error = await createModelClient(testModelConfig(baseURL, 'responses'))
      .streamTurn(request, { onEvent })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).message).toMatch(/could not reach openai at \S+: .*ECONNREFUSED/);
    // The endpoint it tried, so a wrong OPENAI_BASE_URL is plain to see.
    expect((error as Error).message).toContain(`could not reach openai at ${baseURL}:`);
    expect(retries(events)).toHaveLength(3);
  });

  it('retries a DNS failure', async () => {
    // Tests may not query a real resolver, so the transport throws exactly what Node's
    // fetch throws when getaddrinfo fails; the SDK and the classifier run for real.
    let calls = 0;
    const failingDns: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.example.invalid'), {
            code: 'ENOTFOUND',
          }),
        });
      }
      return fetch(input, init);
    };
    server.push(step.text('resolved'));
    const turn = await createModelClient(testModelConfig(server.baseURL, 'chat'), {
      fetch: failingDns,
    }).streamTurn(request);
    expect(turn.items).toEqual([{ type: 'message', text: 'resolved' }]);
    expect(calls).toBe(2);
  });
});

describe('wire bodies', () => {
  it('sends a stateless Responses request with a stable prompt_cache_key', async () => {
    server.push(step.text('one'), step.text('two'));
    const client = createModelClient(
      testModelConfig(server.baseURL, 'responses', { reasoningEffort: 'low' }),
    );
    await client.streamTurn(request);
    await client.streamTurn({
      ...request,
      input: [
        ...request.input,
        { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'one' }] },
      ],
    });
    const [first, second] = server.requests.map((r) => r.body as Record<string, unknown>);
    expect(first).toMatchObject({
      model: 'test-model',
      store: false,
      stream: true,
      prompt_cache_key: 'run-123',
      instructions: 'You are a test.',
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'low', summary: 'auto' },
    });
    expect(first).not.toHaveProperty('previous_response_id');
    expect(second).not.toHaveProperty('previous_response_id');
    expect(second!.prompt_cache_key).toBe('run-123');
    expect((second!.input as unknown[]).slice(0, 1)).toEqual(first!.input);
  });

  it('merges calls and results into Chat messages the way providers expect', async () => {
    server.push(step.text('done'));
    await createModelClient(testModelConfig(server.baseURL, 'chat')).streamTurn({
      ...request,
      input: [
        ...request.input,
        { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Running tests.' }] },
        { type: 'function_call', callId: 'c1', name: 'shell', arguments: '{"command":"ls"}' },
        { type: 'function_call', callId: 'c2', name: 'shell', arguments: '{"command":"pwd"}' },
        { type: 'function_call_output', callId: 'c1', output: 'a.ts' },
        { type: 'function_call_output', callId: 'c2', output: '/w' },
      ],
    });
    const body = server.requests[0]!.body as { messages: unknown[]; stream_options: unknown };
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.messages).toEqual([
      { role: 'developer', content: 'You are a test.' },
      { role: 'user', content: 'Fix the bug.' },
      {
        role: 'assistant',
        content: 'Running tests.',
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'shell', arguments: '{"command":"ls"}' },
          },
          {
            id: 'c2',
            type: 'function',
            function: { name: 'shell', arguments: '{"command":"pwd"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'a.ts' },
      { role: 'tool', tool_call_id: 'c2', content: '/w' },
    ]);
  });

  it('never sends Gemini the fields its endpoint rejects', async () => {
    server.push(step.text('ok'));
    await createModelClient(
      testModelConfig(server.baseURL, 'chat', { provider: 'gemini' }),
    ).streamTurn(request);
    const body = server.requests[0]!.body as Record<string, unknown>;
    for (const field of ['store', 'parallel_tool_calls', 'prompt_cache_key'])
      expect(body).not.toHaveProperty(field);
    expect((body.messages as { role: string }[])[0]!.role).toBe('system');
  });

  it("keeps Gemini's message from its array-shaped error body", async () => {
    server.push({
      kind: 'status',
      status: 400,
      body: [
        {
          error: {
            code: 400,
            message: 'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
            status: 'INVALID_ARGUMENT',
          },
        },
      ],
    });
    const error = await createModelClient(
      testModelConfig(server.baseURL, 'chat', { provider: 'gemini' }),
    )
      .streamTurn(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect((error as Error).message).toMatch(/Unknown name "foo": Cannot find field/);
  });

  it.each([
    [
      'the Responses API to a Chat-only endpoint',
      { provider: 'gemini' as const },
      'responses' as const,
      request,
      /does not speak the Responses API; use --api chat/,
    ],
    [
      'images to a text-only profile',
      { provider: 'local' as const },
      'chat' as const,
      {
        ...request,
        input: [
          {
            type: 'message' as const,
            role: 'user' as const,
            content: [
              {
                type: 'image' as const,
                mimeType: 'image/png' as const,
                dataBase64: 'iVBORw0KGgo=',
              },
            ],
          },
        ],
      },
      /carries images/,
    ],
    [
      'a call without its result',
      {},
      'responses' as const,
      {
        ...request,
        input: [
          ...request.input,
          { type: 'function_call' as const, callId: 'c9', name: 'shell', arguments: '{}' },
        ],
      },
      /function call c9 has no result/,
    ],
  ])('refuses %s before sending anything', async (_name, overrides, api, req, message) => {
    const error = await createModelClient(testModelConfig(server.baseURL, api, overrides))
      .streamTurn(req)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedRequestError);
    expect((error as Error).message).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });
});
