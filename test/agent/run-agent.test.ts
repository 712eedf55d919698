import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentEvent } from '../../src/agent/events.js';
import { runAgent, type AgentRunOptions } from '../../src/agent/run-agent.js';
import { createModelClient } from '../../src/model/openai-model-client.js';
import { PROVIDER_PROFILES } from '../../src/model/provider-profiles.js';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import type { Tool } from '../../src/tools/types.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testModelConfig } from '../support/test-model-config.js';
import { testRunSetup } from '../support/test-run-setup.js';

interface Span {
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

let workspace: string;
let sandbox: Sandbox;
let server: ScriptedModelServer;
let spans: Span[];

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-agent-'));
  sandbox = await createSandbox({ workspace });
});
afterAll(async () => {
  await sandbox.close?.();
  await rm(workspace, { recursive: true, force: true });
});
beforeEach(async () => {
  server = await startScriptedModelServer();
  spans = [];
});
afterEach(() => server.close());

const labelArgs = z.object({ label: z.string().describe('Which call this is.') });

/** A read-only tool that takes a while: calls of one turn should overlap. */
const slowRead: Tool<typeof labelArgs> = {
  name: 'slow_read',
  description: 'Reads slowly.',
  parameters: labelArgs,
  mutating: false,
  async run({ label }) {
    const start = performance.now();
    await sleep(250);
    spans.push({ label, start, end: performance.now() });
    return { ok: true, output: `read ${label}` };
  },
};

/** A tool that writes in the workspace: calls must run alone, in the model's order. */
const appendStep: Tool<typeof labelArgs> = {
  name: 'append_step',
  description: 'Appends a line to steps.log.',
  parameters: labelArgs,
  mutating: true,
  async run({ label }, context) {
    const start = performance.now();
    await sleep(60);
    await appendFile(path.join(context.workspace, 'steps.log'), `${label}\n`);
    spans.push({ label, start, end: performance.now() });
    return { ok: true, output: `appended ${label}` };
  },
};

const tools = createToolRegistry([slowRead, appendStep]);

function run(overrides: Partial<AgentRunOptions> = {}) {
  const events: AgentEvent[] = [];
  const promise = runAgent({
    setup: testRunSetup({
      runId: 'run-unit-test',
      workspace,
      task: 'Do the task.',
      api: 'responses',
      sandboxPolicy: 'workspace-write',
    }),
    model: createModelClient(testModelConfig(server.baseURL, 'responses')),
    tools,
    toolContext: { workspace, sandbox },
    budgets: { maxTurns: 10 },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { events, result: promise };
}

function input(request: RecordedRequest | undefined): Record<string, unknown>[] {
  const body = request?.body as { input?: Record<string, unknown>[] } | undefined;
  return body?.input ?? [];
}

function outputsOf(request: RecordedRequest | undefined): Record<string, string> {
  return Object.fromEntries(
    input(request)
      .filter((item) => item.type === 'function_call_output')
      .map((item) => [String(item.call_id), String(item.output)]),
  );
}

function lastText(request: RecordedRequest | undefined): string {
  const content = input(request).at(-1)?.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content)
    ? content.map((part: { text?: string }) => part.text ?? '').join('')
    : '';
}

const overlap = (a: Span, b: Span) => a.start < b.end && b.start < a.end;
const span = (label: string) => {
  const found = spans.find((s) => s.label === label);
  if (!found) throw new Error(`no call ${label} ran`);
  return found;
};

describe('runAgent', () => {
  it('runs read-only calls of one turn together, and mutating calls alone, in order', async () => {
    server.push(
      step.toolCalls([
        { name: 'slow_read', arguments: { label: 'r1' }, callId: 'c1' },
        { name: 'slow_read', arguments: { label: 'r2' }, callId: 'c2' },
        { name: 'append_step', arguments: { label: 'w1' }, callId: 'c3' },
        { name: 'append_step', arguments: { label: 'w2' }, callId: 'c4' },
        { name: 'slow_read', arguments: { label: 'r3' }, callId: 'c5' },
        { name: 'slow_read', arguments: { label: 'r4' }, callId: 'c6' },
      ]),
      step.text('done'),
    );
    const { result } = run();
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });

    expect(overlap(span('r1'), span('r2'))).toBe(true);
    expect(overlap(span('r3'), span('r4'))).toBe(true);
    // Each write starts after everything before it has ended, and ends before what follows starts.
    expect(span('w1').start).toBeGreaterThanOrEqual(Math.max(span('r1').end, span('r2').end));
    expect(span('w2').start).toBeGreaterThanOrEqual(span('w1').end);
    expect(Math.min(span('r3').start, span('r4').start)).toBeGreaterThanOrEqual(span('w2').end);
    expect(await readFile(path.join(workspace, 'steps.log'), 'utf8')).toBe('w1\nw2\n');
    await rm(path.join(workspace, 'steps.log'));

    expect(Object.keys(outputsOf(server.requests[1])).sort()).toEqual([
      'c1',
      'c2',
      'c3',
      'c4',
      'c5',
      'c6',
    ]);
  });

  it('gives invalid JSON arguments back to the model as a tool error, and the run goes on', async () => {
    server.push(
      step.toolCalls([{ name: 'slow_read', arguments: '{"label": "r1', callId: 'call_bad' }]),
      step.text('recovered'),
    );
    const { result, events } = run();
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'recovered' });
    expect(spans).toEqual([]);
    expect(outputsOf(server.requests[1]).call_bad).toMatch(/not valid JSON/);
    // Broken arguments are never replayed (servers parse them; llama-server answers 500):
    // a valid placeholder quoting them goes back, and the run log keeps the original.
    const replayed = input(server.requests[1]).find((item) => item.call_id === 'call_bad');
    expect(JSON.parse(String(replayed?.arguments))).toMatchObject({
      patchling_invalid_arguments: '{"label": "r1',
    });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'tool_started',
        callId: 'call_bad',
        arguments: '{"label": "r1',
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'tool_finished', callId: 'call_bad', ok: false }),
    );
  });

  it('stops when the token budget is spent, without another model turn', async () => {
    server.push(
      step.toolCalls([{ name: 'slow_read', arguments: { label: 'r1' } }], {
        usage: { inputTokens: 80, outputTokens: 30 },
      }),
      step.text('never asked'),
    );
    const { result, events } = run({ budgets: { maxTurns: 10, maxTokens: 100 } });
    expect(await result).toMatchObject({
      status: 'budget_exceeded',
      budget: 'max_tokens',
      message: expect.stringMatching(/token budget/),
    });
    expect(server.requests).toHaveLength(1);
    expect(server.remaining()).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: 'run_finished',
      status: 'budget_exceeded',
      budget: 'max_tokens',
    });
  });

  it('answers an answer cut off at the output limit with a request to continue', async () => {
    server.push(
      step.text('A very long answer that got cu', { finishReason: 'length' }),
      step.text('Short answer.'),
    );
    const { result } = run();
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'Short answer.' });
    expect(server.requests).toHaveLength(2);
    const items = input(server.requests[1]);
    expect(items.at(-2)).toMatchObject({
      role: 'assistant',
      content: 'A very long answer that got cu',
    });
    expect(items.at(-1)).toMatchObject({ role: 'user' });
    expect(lastText(server.requests[1])).toMatch(/cut off at the output limit/);
  });

  it('compacts before a turn when the last turn came near the context window', async () => {
    server.push(
      step.toolCalls([{ name: 'slow_read', arguments: { label: 'r1' } }], {
        usage: { inputTokens: 900, outputTokens: 10 },
      }),
      step.text('SUMMARY-42'),
      step.text('done'),
    );
    const model = createModelClient(
      testModelConfig(server.baseURL, 'responses', {
        profile: { ...PROVIDER_PROFILES.openai, contextWindow: 1000 },
      }),
    );
    const { result, events } = run({ model });
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });
    expect(lastText(server.requests[1])).toMatch(/^Your context is nearly full/);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'compacted', reason: 'threshold' }),
    );
    expect(JSON.stringify(input(server.requests[2]))).toContain('SUMMARY-42');
  });

  it('compacts once for a context-length error, and fails on a second one instead of looping', async () => {
    server.push(
      step.toolCalls([{ name: 'slow_read', arguments: { label: 'r1' } }]),
      step.contextLengthExceeded(),
      step.text('SUMMARY-43'),
      step.contextLengthExceeded(),
      step.text('never asked'),
    );
    const { result, events } = run();
    expect(await result).toMatchObject({ status: 'failed' });
    expect(server.requests).toHaveLength(4);
    expect(events.filter((e) => e.type === 'compacted')).toHaveLength(1);
  });
});
