import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentEvent } from '../../src/agent/events.js';
import { runAgent, type AgentRunOptions } from '../../src/agent/run-agent.js';
import { createModelClient } from '../../src/model/openai-model-client.js';
import { PROVIDER_PROFILES, type ProviderProfile } from '../../src/model/provider-profiles.js';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import type { Tool } from '../../src/tools/types.js';
import {
  replayedArguments,
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptStep,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testModelConfig } from '../support/test-model-config.js';
import { testRunSetup } from '../support/test-run-setup.js';

let workspace: string;
let sandbox: Sandbox;
let server: ScriptedModelServer;
let ran: string[];

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-agent-faults-'));
  sandbox = await createSandbox({ workspace });
});
afterAll(async () => {
  await sandbox.close?.();
  await rm(workspace, { recursive: true, force: true });
});
beforeEach(async () => {
  server = await startScriptedModelServer();
  ran = [];
});
afterEach(() => server.close());

/** Reads nothing real: records the call and answers with a long text, so history grows. */
const readNote: Tool<z.ZodObject<{ path: z.ZodString }>> = {
  name: 'read_note',
  description: 'Reads a note.',
  parameters: z.object({ path: z.string() }),
  mutating: false,
  async run({ path: file }) {
    ran.push(`read_note ${file}`);
    return { ok: true, output: `contents of ${file}: ${'lorem ipsum '.repeat(60)}` };
  },
};
/** Named like the tool in the llama-server captures. */
const shell: Tool<z.ZodObject<{ command: z.ZodString }>> = {
  name: 'shell',
  description: 'Pretends to run a command.',
  parameters: z.object({ command: z.string() }),
  mutating: false,
  async run({ command }) {
    ran.push(`shell ${command}`);
    return { ok: true, output: `ran ${command}` };
  },
};
const tools = createToolRegistry([readNote, shell]);

type Api = 'responses' | 'chat';

function run(api: Api, overrides: Partial<AgentRunOptions> & { profile?: ProviderProfile } = {}) {
  const { profile, ...rest } = overrides;
  const events: AgentEvent[] = [];
  const result = runAgent({
    setup: testRunSetup({ runId: 'run-faults', workspace, task: 'Do the task.', api }),
    model: createModelClient(
      testModelConfig(server.baseURL, api, profile ? { profile } : { provider: 'openai' }),
    ),
    tools,
    toolContext: { workspace, sandbox },
    budgets: { maxTurns: 12 },
    onEvent: (event) => events.push(event),
    ...rest,
  });
  return { events, result };
}

const bodyOf = (request: RecordedRequest | undefined) =>
  (request?.body ?? {}) as Record<string, unknown>;

/** The tool results a request carries, by call id, in either wire format. */
function toolResults(request: RecordedRequest | undefined): Record<string, string> {
  const body = bodyOf(request) as {
    input?: { type?: string; call_id?: string; output?: string }[];
    messages?: { role?: string; tool_call_id?: string; content?: unknown }[];
  };
  const fromResponses = (body.input ?? [])
    .filter((item) => item.type === 'function_call_output')
    .map((item) => [String(item.call_id), String(item.output)]);
  const fromChat = (body.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => [String(message.tool_call_id), String(message.content)]);
  return Object.fromEntries([...fromResponses, ...fromChat]);
}

const isCompaction = (request: RecordedRequest) => bodyOf(request).tool_choice === 'none';

describe.each(['responses', 'chat'] as const)(
  'runAgent over %s, when the provider misbehaves',
  (api) => {
    it('never replays arguments cut off at the output limit, tells the user, and goes on', async () => {
      server.push(
        step.toolCalls(
          [
            {
              name: 'shell',
              arguments: '{"command": "cat <<EOF > big.txt\nline one',
              callId: 'c1',
            },
          ],
          { finishReason: 'length' },
        ),
        // llama-server's behaviour: 500 on every request that replays invalid arguments.
        step.rejectingInvalidReplayedArguments(
          step.toolCalls([{ name: 'shell', arguments: { command: 'ls' }, callId: 'c2' }]),
        ),
        step.rejectingInvalidReplayedArguments(step.text('done')),
      );
      const { result, events } = run(api);
      expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });
      expect(server.requests).toHaveLength(3);
      expect(ran).toEqual(['shell ls']);
      expect(toolResults(server.requests[1]).c1).toMatch(/cut off at the output limit/);
      for (const request of server.requests.slice(1)) {
        for (const args of replayedArguments(request)) expect(() => JSON.parse(args)).not.toThrow();
      }
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'turn_notice',
          kind: 'output_limit',
          turn: 1,
          message: expect.stringMatching(/cut off at the output token limit; 1 of its 1 tool call/),
        }),
      );
      // The original stays in the run log.
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'tool_started',
          callId: 'c1',
          arguments: '{"command": "cat <<EOF > big.txt\nline one',
        }),
      );
    });

    it('runs every call of a turn although the profile did not ask for parallel calls', async () => {
      server.push(
        step.toolCalls([
          { name: 'read_note', arguments: { path: 'a.md' }, callId: 'p1' },
          { name: 'read_note', arguments: { path: 'b.md' }, callId: 'p2' },
          { name: 'shell', arguments: { command: 'pwd' }, callId: 'p3' },
        ]),
        step.text('all read'),
      );
      const profile = { ...PROVIDER_PROFILES.openai, parallelToolCalls: false };
      const { result } = run(api, { profile });
      expect(await result).toMatchObject({ status: 'completed', finalMessage: 'all read' });
      expect(bodyOf(server.requests[0])).not.toHaveProperty('parallel_tool_calls');
      expect([...ran].sort()).toEqual(['read_note a.md', 'read_note b.md', 'shell pwd']);
      expect(Object.keys(toolResults(server.requests[1])).sort()).toEqual(['p1', 'p2', 'p3']);
    });

    it('nudges once after an empty answer, then takes the real one', async () => {
      server.push(step.text(''), step.text('the answer'));
      const { result, events } = run(api);
      expect(await result).toMatchObject({ status: 'completed', finalMessage: 'the answer' });
      expect(server.requests[1]!.rawBody).toMatch(/Your last answer was empty/);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'turn_notice', kind: 'empty_answer', turn: 1 }),
      );
    });

    it('fails clearly after a second empty answer instead of completing with nothing', async () => {
      server.push(step.text(''), step.text(''), step.text('never asked'));
      const { result } = run(api);
      expect(await result).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(
          /the model gave no answer: turn 2 ended with an empty answer/,
        ),
      });
      expect(server.requests).toHaveLength(2);
    });

    it('asks for the compaction summary with tool_choice "none" and the same tools', async () => {
      server.push(
        step.toolCalls([{ name: 'read_note', arguments: { path: 'src/a.ts' } }], {
          usage: { inputTokens: 900, outputTokens: 10 },
        }),
        step.text('Summary: read src/a.ts; next, fix the bug in it.'),
        step.text('done'),
      );
      const profile = { ...PROVIDER_PROFILES.openai, contextWindow: 1000 };
      const { result, events } = run(api, { profile });
      expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });
      const [first, compaction, after] = server.requests.map(bodyOf);
      expect(first!.tool_choice).toBe('auto');
      expect(compaction!.tool_choice).toBe('none');
      expect(compaction!.tools).toEqual(first!.tools);
      expect(after!.tool_choice).toBe('auto');
      expect(JSON.stringify(after)).toContain('Summary: read src/a.ts');
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'compacted', reason: 'threshold', method: 'summary' }),
      );
    });

    it('compacts once for a context error, even when the summary request itself was large', async () => {
      server.push(
        step.toolCalls([{ name: 'read_note', arguments: { path: 'src/a.ts' } }]),
        step.contextLengthExceeded(),
        step.text('Summary: read src/a.ts.', { usage: { inputTokens: 950, outputTokens: 20 } }),
        step.text('done'),
      );
      const profile = { ...PROVIDER_PROFILES.openai, contextWindow: 1000 };
      const { result, events } = run(api, { profile });
      expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });
      expect(events.filter((e) => e.type === 'compacted')).toEqual([
        expect.objectContaining({ reason: 'context_window', method: 'summary' }),
      ]);
      expect(server.requests).toHaveLength(4);
    });

    const misbehaviours: [string, ScriptStep, RegExp][] = [
      [
        'a tool call anyway',
        step.toolCalls([{ name: 'read_note', arguments: { path: 'x' } }]),
        /called a tool instead of summarising/,
      ],
      ['no text at all', step.text(''), /answered without a summary/],
      [
        'chat-template garbage',
        step.text('<tool_call>{"name": "read_note", "arguments": {}}</tool_call>'),
        /chat-template markup/,
      ],
      [
        'another context error',
        step.contextLengthExceeded(),
        /summary request failed: .*context window/,
      ],
      [
        'a 500 that names the request',
        step.rejectingInvalidReplayedArguments(step.text('x')),
        /summary request failed/,
      ],
    ];

    it.each(misbehaviours)(
      'falls back to a mechanical compaction when the summary is %s',
      async (_name, misbehaviour, why) => {
        // The 500 case needs a broken call in the history for llama's check to fire.
        const broken = _name.startsWith('a 500');
        server.push(
          step.toolCalls([{ name: 'read_note', arguments: { path: 'src/old.ts' }, callId: 'o1' }]),
          step.toolCalls(
            [
              broken
                ? { name: 'shell', arguments: '{"command": "l', callId: 'o2' }
                : { name: 'shell', arguments: { command: 'npm test' }, callId: 'o2' },
            ],
            { usage: { inputTokens: 900, outputTokens: 10 } },
          ),
        );
        // Every compaction request gets the misbehaviour; the next real turn ends the run.
        for (let i = 0; i < 6; i++) {
          server.push({
            kind: 'respond',
            fn: (request) =>
              isCompaction(request)
                ? broken
                  ? {
                      kind: 'status',
                      status: 500,
                      body: {
                        error: {
                          code: 500,
                          message: 'Failed to parse tool call arguments as JSON',
                          type: 'server_error',
                        },
                      },
                    }
                  : misbehaviour
                : step.text('finished after compaction'),
          });
        }
        const profile = { ...PROVIDER_PROFILES.openai, contextWindow: 1000 };
        const { result, events } = run(api, { profile });
        expect(await result).toMatchObject({
          status: 'completed',
          finalMessage: 'finished after compaction',
        });
        const compacted = events.find((e) => e.type === 'compacted');
        expect(compacted).toMatchObject({ method: 'mechanical', why: expect.stringMatching(why) });
        const next = server.requests.find((request, i) => i > 1 && !isCompaction(request));
        const text = next!.rawBody;
        expect(text).toMatch(/compacted without a summary/);
        expect(text).toMatch(/read_note ×1/);
        expect(text).toMatch(/src\/old\.ts \(read\)/);
        // The head (the task) is kept.
        expect(text).toContain('Do the task.');
      },
    );
  },
);

describe('llama-server captures in a run', () => {
  it('answers a call cut off mid-arguments and keeps the next requests acceptable to llama-server', async () => {
    const captured = await readFile(
      path.join(
        import.meta.dirname,
        '../fixtures/llama-server/llama-server-b1-5b4ebc5-chat-stream-toolcall-length.sse',
      ),
      'utf8',
    );
    server.push(
      { kind: 'raw_stream', text: captured },
      step.rejectingInvalidReplayedArguments(step.text('recovered')),
    );
    const { result, events } = run('chat', { profile: PROVIDER_PROFILES.local });
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'recovered' });
    expect(server.requests).toHaveLength(2);
    expect(ran).toEqual([]);
    expect(events.some((e) => e.type === 'turn_notice' && e.kind === 'output_limit')).toBe(true);
  });
});
