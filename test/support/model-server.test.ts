import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONTEXT_LENGTH_MESSAGE,
  QUOTA_MESSAGE,
  SCRIPT_EXHAUSTED_MESSAGE,
  startScriptedModelServer,
  step,
} from './model-server/index.js';
import type { ScriptedModelServer } from './model-server/index.js';

let server: ScriptedModelServer;
let client: OpenAI;

beforeEach(async () => {
  server = await startScriptedModelServer();
  client = new OpenAI({
    apiKey: 'test-key',
    baseURL: server.baseURL,
    maxRetries: 0,
    timeout: 5_000,
  });
});

afterEach(async () => {
  await server.close();
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

function responsesStream() {
  return client.responses.create({ model: 'gpt-test', input: 'hello', stream: true });
}

function chatStream() {
  return client.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'hello' }],
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** The error a promise rejects with, or a failure if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('Responses API streaming', () => {
  it('streams a text turn in small deltas that reassemble, with usage and ordered sequence numbers', async () => {
    server.push(
      step.text('Hello from the scripted model!', {
        usage: { inputTokens: 120, cachedInputTokens: 100, outputTokens: 9 },
      }),
    );
    const events = await collect(await responsesStream());

    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    expect(text.join('')).toBe('Hello from the scripted model!');
    const last = events.at(-1);
    if (last?.type !== 'response.completed') throw new Error('no response.completed');
    expect(last.response.id).toMatch(/^resp_/);
    expect(last.response.status).toBe('completed');
    expect(last.response.output[0]).toMatchObject({
      type: 'message',
      id: expect.stringMatching(/^msg_/),
    });
    expect(last.response.usage).toEqual({
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 100, cache_write_tokens: 0 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 129,
    });
  });

  it('streams function calls as argument deltas, sending string arguments byte for byte', async () => {
    server.push(
      step.toolCalls([
        {
          name: 'read_file',
          arguments: { path: 'src/index.ts', lines: [1, 20] },
          callId: 'call_fixed',
        },
        { name: 'run', arguments: '{"cmd": "npm test"' },
      ]),
    );
    const events = await collect(await responsesStream());

    const args = new Map<string, string>();
    for (const e of events) {
      if (e.type === 'response.function_call_arguments.delta') {
        args.set(e.item_id, (args.get(e.item_id) ?? '') + e.delta);
      }
    }
    const done = events.flatMap((e) => (e.type === 'response.output_item.done' ? [e.item] : []));
    expect(done).toHaveLength(2);
    const [first, second] = done;
    if (first?.type !== 'function_call' || second?.type !== 'function_call')
      throw new Error('items');
    expect(first).toMatchObject({ name: 'read_file', call_id: 'call_fixed', status: 'completed' });
    expect(first.id).toMatch(/^fc_/);
    expect(second.call_id).toMatch(/^call_/);
    expect(args.get(first.id ?? '')).toBe('{"path":"src/index.ts","lines":[1,20]}');
    expect(args.get(second.id ?? '')).toBe('{"cmd": "npm test"');
    const deltaCount = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(deltaCount.length).toBeGreaterThan(4);
  });

  it('streams a reasoning item with its summary and encrypted content before the message', async () => {
    server.push(
      step.text('Done.', {
        reasoning: { summary: 'Thinking it over', encryptedContent: 'gAAA-opaque' },
      }),
    );
    const events = await collect(await responsesStream());
    const summary = events.flatMap((e) =>
      e.type === 'response.reasoning_summary_text.delta' ? [e.delta] : [],
    );
    expect(summary.join('')).toBe('Thinking it over');
    const done = events.flatMap((e) => (e.type === 'response.output_item.done' ? [e.item] : []));
    expect(done.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect(done[0]).toMatchObject({
      id: expect.stringMatching(/^rs_/),
      encrypted_content: 'gAAA-opaque',
      summary: [{ type: 'summary_text', text: 'Thinking it over' }],
    });
  });

  it('ends a turn cut by max_output_tokens with response.incomplete', async () => {
    server.push(step.text('Cut sho', { finishReason: 'length' }));
    const events = await collect(await responsesStream());
    const last = events.at(-1);
    if (last?.type !== 'response.incomplete') throw new Error(`ended with ${last?.type}`);
    expect(last.response.status).toBe('incomplete');
    expect(last.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('carries the fields a real api.openai.com stream carries on each event type', async () => {
    // Key sets observed in streams recorded from api.openai.com (vercel/ai's fixtures).
    const required: Partial<Record<ResponseStreamEvent['type'], string[]>> = {
      'response.created': ['response', 'sequence_number'],
      'response.output_item.added': ['item', 'output_index', 'sequence_number'],
      'response.content_part.added': ['item_id', 'output_index', 'content_index', 'part'],
      'response.output_text.delta': ['item_id', 'output_index', 'content_index', 'delta'],
      'response.output_text.done': ['item_id', 'output_index', 'content_index', 'text'],
      'response.reasoning_summary_part.added': ['item_id', 'output_index', 'summary_index', 'part'],
      'response.reasoning_summary_text.delta': [
        'item_id',
        'output_index',
        'summary_index',
        'delta',
      ],
      'response.function_call_arguments.delta': ['item_id', 'output_index', 'delta'],
      'response.function_call_arguments.done': ['item_id', 'output_index', 'arguments'],
      'response.completed': ['response', 'sequence_number'],
    };
    server.push({
      kind: 'turn',
      turn: {
        reasoning: { summary: 'why' },
        text: 'hi',
        toolCalls: [{ name: 'f', arguments: {} }],
      },
    });
    const events = await collect(await responsesStream());
    const seen = new Set(events.map((e) => e.type));
    for (const [type, keys] of Object.entries(required)) {
      expect(seen.has(type as ResponseStreamEvent['type']), type).toBe(true);
      for (const e of events.filter((x) => x.type === type)) {
        expect(Object.keys(e), type).toEqual(expect.arrayContaining(['type', ...keys]));
      }
    }
  });
});

describe('Chat Completions streaming', () => {
  it('streams a text turn whose deltas reassemble, then a usage chunk with no choices', async () => {
    server.push(
      step.text('Hello from chat!', {
        usage: { inputTokens: 50, outputTokens: 4, reasoningTokens: 1 },
      }),
    );
    const chunks: ChatCompletionChunk[] = await collect(await chatStream());

    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Hello from chat!');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(
      chunks.every((c) => c.object === 'chat.completion.chunk' && c.id.startsWith('chatcmpl-')),
    ).toBe(true);
    const finishes = chunks.flatMap((c) =>
      c.choices[0]?.finish_reason ? [c.choices[0].finish_reason] : [],
    );
    expect(finishes).toEqual(['stop']);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({
      prompt_tokens: 50,
      completion_tokens: 4,
      total_tokens: 54,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
  });

  it('streams tool calls name first, then arguments split across several chunks', async () => {
    server.push(
      step.toolCalls([
        { name: 'read_file', arguments: { path: 'README.md' } },
        { name: 'write_file', arguments: 'not json at all', callId: 'call_given' },
      ]),
    );
    const chunks = await collect(await chatStream());

    const calls: { id?: string; name?: string; args: string; pieces: number }[] = [];
    for (const chunk of chunks) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { args: '', pieces: 0 });
        if (tc.id !== undefined) {
          expect(call.id, 'id and name come once, in the first delta').toBeUndefined();
          expect(tc.type).toBe('function');
          call.id = tc.id;
          call.name = tc.function?.name;
        }
        if (tc.function?.arguments) {
          call.args += tc.function.arguments;
          call.pieces += 1;
        }
      }
    }
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ name: 'read_file', args: '{"path":"README.md"}' });
    expect(calls[0]?.id).toMatch(/^call_/);
    expect(calls[1]).toMatchObject({
      id: 'call_given',
      name: 'write_file',
      args: 'not json at all',
    });
    expect(calls.every((c) => c.pieces > 1)).toBe(true);
    const finishes = chunks.flatMap((c) =>
      c.choices[0]?.finish_reason ? [c.choices[0].finish_reason] : [],
    );
    expect(finishes).toEqual(['tool_calls']);
  });

  it('leaves out the usage chunk when include_usage is not asked for', async () => {
    server.push(step.text('hi'));
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
    });
    const chunks = await collect(stream);
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).toBe(true);
  });
});

describe('SSE framing on the wire', () => {
  async function rawPost(
    path: string,
    body: unknown,
  ): Promise<{ type: string | null; text: string }> {
    const res = await fetch(`${server.baseURL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { type: res.headers.get('content-type'), text: await res.text() };
  }

  it('names every Responses event and sends no [DONE]', async () => {
    server.push(step.text('hi'));
    const { type, text } = await rawPost('/responses', { model: 'm', input: 'x', stream: true });
    expect(type).toMatch(/^text\/event-stream/);
    const frames = text.split('\n\n').filter((f) => f !== '');
    expect(frames.length).toBeGreaterThan(5);
    for (const f of frames) {
      const match = /^event: (\S+)\ndata: (.*)$/.exec(f);
      expect(match, f).not.toBeNull();
      expect((JSON.parse(match?.[2] ?? '') as { type: string }).type).toBe(match?.[1]);
    }
    expect(text).not.toContain('[DONE]');
  });

  it('sends Chat chunks as bare data lines ending in data: [DONE]', async () => {
    server.push(step.text('hi'));
    const { text } = await rawPost('/chat/completions', { model: 'm', messages: [], stream: true });
    const frames = text.split('\n\n').filter((f) => f !== '');
    expect(frames.every((f) => /^data: [^\n]+$/.test(f))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]');
  });
});

describe('non-streaming answers', () => {
  it('answers a Responses request with a response object built from the same turn', async () => {
    server.push(step.text('plain answer'));
    const response = await client.responses.create({ model: 'gpt-test', input: 'hello' });
    expect(response.object).toBe('response');
    expect(response.output_text).toBe('plain answer');
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('answers a Chat request with a chat.completion object', async () => {
    server.push(step.toolCalls([{ name: 'f', arguments: { a: 1 } }], { text: 'calling f' }));
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('calling f');
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'f', arguments: '{"a":1}' },
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });
});

describe('request recording and script control', () => {
  it('records each request with its parsed body, headers and api', async () => {
    server.push(step.text('one'), step.text('two'));
    await collect(await responsesStream());
    await collect(await chatStream());

    expect(server.requests.map((r) => [r.method, r.path, r.api])).toEqual([
      ['POST', '/v1/responses', 'responses'],
      ['POST', '/v1/chat/completions', 'chat'],
    ]);
    expect(server.requests[0]?.body).toMatchObject({
      model: 'gpt-test',
      input: 'hello',
      stream: true,
    });
    expect(server.requests[1]?.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer test-key');
    expect(JSON.parse(server.requests[0]?.rawBody ?? '')).toEqual(server.requests[0]?.body);
    expect(server.remaining()).toBe(0);
  });

  it('lets a respond step decide from the request', async () => {
    server.push({
      kind: 'respond',
      fn: (request) =>
        step.text(`you sent ${JSON.stringify((request.body as { input?: unknown }).input)}`),
    });
    const response = await client.responses.create({ model: 'gpt-test', input: 'ping' });
    expect(response.output_text).toBe('you sent "ping"');
  });

  it('answers 500 with a recognisable message once the script is exhausted', async () => {
    const error = await rejection(responsesStream());
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(500);
    expect((error as APIError).message).toContain(SCRIPT_EXHAUSTED_MESSAGE);
  });

  it('answers 404 with an OpenAI error body for unknown paths, without consuming a step', async () => {
    server.push(step.text('kept'));
    const error = await rejection(client.models.list());
    expect((error as APIError).status).toBe(404);
    expect((error as APIError).message).toContain('Invalid URL (GET /v1/models)');
    expect(server.requests[0]?.api).toBe('unknown');
    expect(server.remaining()).toBe(1);
    await client.responses.create({ model: 'gpt-test', input: 'hello' });
  });
});

describe('faults', () => {
  it('sends a 429 with the given hint headers, which the SDK raises with status and code', async () => {
    server.push(
      step.rateLimited({
        retryAfter: '2',
        retryAfterMs: '1500',
        resetRequests: '1s',
        resetTokens: '20ms',
      }),
    );
    const error = await rejection(responsesStream());
    expect(error).toBeInstanceOf(APIError);
    const e = error as APIError;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers?.get('retry-after')).toBe('2');
    expect(e.headers?.get('retry-after-ms')).toBe('1500');
    expect(e.headers?.get('x-ratelimit-reset-requests')).toBe('1s');
    expect(e.headers?.get('x-ratelimit-reset-tokens')).toBe('20ms');
    expect(e.requestID).toMatch(/^req_/);
  });

  it('sends a hint-free 429 when no hints are given', async () => {
    server.push(step.rateLimited());
    const e = (await rejection(chatStream())) as APIError;
    expect(e.status).toBe(429);
    expect(e.type).toBe('requests');
    expect(e.headers?.get('retry-after')).toBeNull();
    expect(e.message).not.toMatch(/try again in/i);
  });

  it('sends insufficient_quota as a 429 with its own code and type', async () => {
    server.push(step.insufficientQuota());
    const e = (await rejection(responsesStream())) as APIError;
    expect([e.status, e.code, e.type]).toEqual([429, 'insufficient_quota', 'insufficient_quota']);
    expect(e.message).toContain(QUOTA_MESSAGE);
  });

  it('sends context-length errors with the code, or with only the message', async () => {
    server.push(step.contextLengthExceeded(), step.contextLengthExceeded({ viaMessageOnly: true }));
    const withCode = (await rejection(chatStream())) as APIError;
    expect([withCode.status, withCode.code]).toEqual([400, 'context_length_exceeded']);
    const messageOnly = (await rejection(chatStream())) as APIError;
    expect([messageOnly.status, messageOnly.code]).toEqual([400, null]);
    expect(messageOnly.message).toContain(CONTEXT_LENGTH_MESSAGE);
  });

  it('sends 5xx and 400 errors', async () => {
    server.push(
      step.serverError(503),
      step.badRequest('Invalid schema for function f', 'invalid_function_parameters'),
    );
    expect(((await rejection(responsesStream())) as APIError).status).toBe(503);
    const bad = (await rejection(responsesStream())) as APIError;
    expect([bad.status, bad.code]).toEqual([400, 'invalid_function_parameters']);
  });

  it('resets the connection before any byte, which the SDK reports as a connection error', async () => {
    server.push(step.reset());
    expect(await rejection(responsesStream())).toBeInstanceOf(APIConnectionError);
  });

  it('stalls after N events and stays silent until the client aborts', async () => {
    server.push(step.stall(2, { text: 'never finished' }));
    const abort = new AbortController();
    const stream = await client.responses.create(
      { model: 'gpt-test', input: 'hello', stream: true },
      { signal: abort.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.type).toBe('response.created');
    expect((await iterator.next()).value?.type).toBe('response.in_progress');

    const pending = iterator.next();
    const first = await Promise.race([
      pending.then(() => 'event'),
      delay(300).then(() => 'silence'),
    ]);
    expect(first).toBe('silence');
    abort.abort();
    expect((await pending).done).toBe(true);
    await server.close();
  });

  it('truncates a stream cleanly without its final event', async () => {
    server.push(
      step.truncate(5, { text: 'a long answer that gets cut' }),
      step.truncate(3, { text: 'a long answer that gets cut' }),
    );
    const events = await collect(await responsesStream());
    expect(events).toHaveLength(5);
    expect(events.some((e) => e.type === 'response.completed')).toBe(false);
    const chunks = await collect(await chatStream());
    expect(chunks).toHaveLength(3);
    expect(chunks.some((c) => c.choices[0]?.finish_reason || c.choices.length === 0)).toBe(false);
  });

  it('injects provider bytes into a scripted stream, then completes, cuts or resets it', async () => {
    server.push(
      {
        kind: 'inject',
        turn: { text: 'abcdefghijklmnop' },
        afterEvents: 1,
        events: [{ data: '{"vendor":"meta"}' }],
      },
      {
        kind: 'inject',
        turn: { text: 'abcdefghijklmnop' },
        afterEvents: 2,
        events: [{ data: '{"choices":[]}' }],
        end: 'cut',
      },
      {
        kind: 'inject',
        turn: { text: 'abcdefghijklmnop' },
        afterEvents: 2,
        events: [],
        end: 'reset',
      },
    );
    const complete = (await collect(await chatStream())) as unknown[];
    expect(complete[1]).toEqual({ vendor: 'meta' });
    expect(complete.at(-1)).toMatchObject({ choices: [], usage: expect.any(Object) });
    const cut = (await collect(await chatStream())) as unknown[];
    expect(cut).toHaveLength(3);
    expect(cut[2]).toEqual({ choices: [] });
    const seen: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const chunk of await chatStream()) seen.push(chunk);
      })(),
    );
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(String((error as Error).message ?? error)).toMatch(/terminated|socket|reset|closed/i);
  });

  it('replays a raw SSE body byte for byte', async () => {
    server.push({
      kind: 'raw_stream',
      text: ': a comment\n\ndata: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    });
    const chunks = await collect(await chatStream());
    expect(chunks).toEqual([
      { choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] },
    ]);
  });

  it('answers a replay of arguments that are not a JSON object the way llama-server does', async () => {
    const withCall = (args: string) =>
      client.chat.completions.create({
        model: 'gpt-test',
        messages: [
          { role: 'user', content: 'hello' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'shell', arguments: args } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'ok' },
        ],
      });
    server.push(
      step.rejectingInvalidReplayedArguments(step.text('fine')),
      step.rejectingInvalidReplayedArguments(step.text('fine')),
    );
    const error = await rejection(withCall('{"command": "l'));
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(500);
    expect((error as APIError).message).toMatch(/Failed to parse tool call arguments as JSON/);
    const ok = await withCall('{"command": "ls"}');
    expect(ok.choices[0]?.message.content).toBe('fine');
  });

  it('fails a stream midway with the API error event, which the SDK raises', async () => {
    server.push(
      { kind: 'stream_error', afterEvents: 3, code: 'server_error', message: 'boom' },
      { kind: 'stream_error', afterEvents: 2, code: 'server_error', message: 'boom' },
    );
    const seen: string[] = [];
    const responsesError = await rejection(
      (async () => {
        for await (const e of await responsesStream()) seen.push(e.type);
      })(),
    );
    expect(seen).toHaveLength(3);
    expect(responsesError).toBeInstanceOf(APIError);
    expect([(responsesError as APIError).code, (responsesError as APIError).message]).toEqual([
      'server_error',
      'boom',
    ]);

    const chatError = (await rejection(collect(await chatStream()))) as APIError;
    expect([chatError.code, chatError.message]).toEqual(['server_error', 'boom']);
  });

  it('spaces events by eventDelayMs', async () => {
    server.push(step.text('abcdefgh', { chunkSize: 2, eventDelayMs: 25 }));
    const started = Date.now();
    const events = await collect(await responsesStream());
    expect(Date.now() - started).toBeGreaterThanOrEqual(25 * (events.length - 1) - 5);
  });

  it('closes without hanging while a stalled client is still connected', async () => {
    server.push(step.stall(1));
    const stream = await chatStream();
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next().then(
      () => 'ended',
      () => 'failed',
    );
    const closed = await Promise.race([
      server.close().then(() => 'closed'),
      delay(2_000).then(() => 'hung'),
    ]);
    expect(closed).toBe('closed');
    expect(['ended', 'failed']).toContain(await pending);
  });
});
