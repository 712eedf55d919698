import { pathToFileURL } from 'node:url';
import { createModelClient } from '../src/model/openai-model-client.js';
import type { ConversationItem, ModelRequest } from '../src/model/types.js';
import { startScriptedModelServer, step } from '../test/support/model-server/index.js';
import { testModelConfig } from '../test/support/test-model-config.js';
import { median, percentile, round, type BenchResult } from './bench-result.js';

const TURNS = 300;
const WARMUP = 30;

/**
 * The model client's own cost per turn: a streamed turn through createModelClient,
 * minus the same request sent with bare fetch and its SSE body read to the end. What
 * remains is request building, the SDK, stream parsing, classification and retry set-up.
 */
export async function benchModelClient(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const api of ['responses', 'chat'] as const) {
    const server = await startScriptedModelServer();
    try {
      const client = createModelClient(testModelConfig(server.baseURL, api));
      const request = sampleRequest();
      const turn = () =>
        step.toolCalls([{ name: 'shell', arguments: { command: 'npm test -- --reporter=dot' } }], {
          text: 'Running the tests to see what fails.',
        });

      const clientTimes: number[] = [];
      for (let i = 0; i < WARMUP + TURNS; i++) {
        server.push(turn());
        const started = performance.now();
        await client.streamTurn(request);
        if (i >= WARMUP) clientTimes.push(performance.now() - started);
      }

      // The same bytes over the same server, with nothing of ours in the way.
      const recorded = server.requests.at(-1)!;
      const url = `${server.baseURL}${api === 'responses' ? '/responses' : '/chat/completions'}`;
      const rawTimes: number[] = [];
      for (let i = 0; i < WARMUP + TURNS; i++) {
        server.push(turn());
        const started = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
          body: recorded.rawBody,
        });
        await response.arrayBuffer();
        if (i >= WARMUP) rawTimes.push(performance.now() - started);
      }
      const overhead = median(clientTimes) - median(rawTimes);
      results.push(
        {
          name: `model client overhead per turn (${api}, median)`,
          value: round(overhead),
          unit: 'ms',
          note: 'target < 5 ms',
        },
        {
          name: `model client turn (${api}, p50 / p90)`,
          value: round(median(clientTimes)),
          unit: 'ms',
          note: `p90 ${round(percentile(clientTimes, 0.9))} ms`,
        },
        { name: `bare HTTP round trip (${api}, p50)`, value: round(median(rawTimes)), unit: 'ms' },
      );
    } finally {
      await server.close();
    }
  }
  return results;
}

/** A mid-run request: instructions, a task, and a few finished tool calls. */
function sampleRequest(): ModelRequest {
  const input: ConversationItem[] = [
    {
      type: 'message',
      role: 'user',
      content: [{ type: 'text', text: 'Fix the failing test in src/sum.ts.' }],
    },
  ];
  for (let i = 0; i < 6; i++) {
    input.push(
      {
        type: 'function_call',
        callId: `call_${i}`,
        name: 'shell',
        arguments: JSON.stringify({ command: `cat src/file${i}.ts` }),
      },
      {
        type: 'function_call_output',
        callId: `call_${i}`,
        output: `Exit code: 0\nOutput:\n${'const x = 1;\n'.repeat(40)}`,
      },
    );
  }
  return {
    instructions: 'You are a coding agent. '.repeat(40),
    input,
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
    promptCacheKey: 'bench',
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchModelClient())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
