import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUM_FIX_PATCH, SUM_FIXED } from '../support/git-repo.js';
import { step } from '../support/model-server/index.js';
import type { CliResult } from '../support/run-cli.js';
import {
  bodyOf,
  callOutputs,
  inputOf,
  messagesOf,
  rawPrefixThrough,
  startScenario,
  type Scenario,
  nonProgressLines,
} from './harness.js';

const TASK = 'The test in test.js fails. Fix the bug in sum.js.';
const FINAL = 'Fixed sum() in sum.js: it subtracted instead of adding. `node test.js` passes now.';

/** shell (fails) → apply_patch → shell (passes) → final message. */
const fixScript = () => [
  step.toolCalls([{ name: 'shell', arguments: { command: 'node test.js' }, callId: 'call_test1' }]),
  step.toolCalls([
    { name: 'apply_patch', arguments: { input: SUM_FIX_PATCH }, callId: 'call_fix' },
  ]),
  step.toolCalls([{ name: 'shell', arguments: { command: 'node test.js' }, callId: 'call_test2' }]),
  step.text(FINAL),
];

describe.each(['responses', 'chat'] as const)('patchling exec --api %s', (api) => {
  let scenario: Scenario;
  let result: CliResult;

  beforeAll(async () => {
    scenario = await startScenario(fixScript());
    result = await scenario.run(['exec', '--api', api, TASK]);
  });
  afterAll(() => scenario.close());

  it('fixes a failing test: the file changes on disk, the final message is all of stdout, exit 0', async () => {
    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FINAL}\n`);
    expect(await readFile(path.join(scenario.repo.dir, 'sum.js'), 'utf8')).toBe(SUM_FIXED);
    expect(scenario.server.requests.map((r) => r.api)).toEqual([api, api, api, api]);
    expect(scenario.server.remaining()).toBe(0);
  });

  it('sends the task first and each tool result with its real exit code', () => {
    const requests = scenario.server.requests;
    if (api === 'responses') {
      expect(JSON.stringify(inputOf(requests[0]))).toContain(TASK);
      expect(callOutputs(requests[1])).toEqual([
        { callId: 'call_test1', output: expect.stringMatching(/^Exit code: 1\n[\s\S]*FAIL/) },
      ]);
      expect(callOutputs(requests[2])[1]).toEqual({
        callId: 'call_fix',
        output: expect.stringContaining('sum.js'),
      });
      expect(callOutputs(requests[3])[2]).toEqual({
        callId: 'call_test2',
        output: expect.stringMatching(/^Exit code: 0\n[\s\S]*PASS/),
      });
    } else {
      const toolMessages = messagesOf(requests[3]).filter((m) => m.role === 'tool');
      expect(toolMessages.map((m) => m.tool_call_id)).toEqual([
        'call_test1',
        'call_fix',
        'call_test2',
      ]);
      expect(String(toolMessages[0]!.content)).toMatch(/^Exit code: 1\n/);
      expect(String(toolMessages[2]!.content)).toMatch(/^Exit code: 0\n[\s\S]*PASS/);
    }
  });

  it('makes every request extend the previous one byte for byte, so the prompt cache keeps hitting', () => {
    const requests = scenario.server.requests;
    const key = api === 'responses' ? 'input' : 'messages';
    for (let n = 1; n < requests.length; n++) {
      const previous = bodyOf(requests[n - 1])[key] as unknown[];
      const current = bodyOf(requests[n])[key] as unknown[];
      expect(current.length).toBeGreaterThan(previous.length);
      expect(current.slice(0, previous.length)).toEqual(previous);
      // The raw bytes: everything up to and including the previous request's last item.
      expect(requests[n]!.rawBody.startsWith(rawPrefixThrough(requests[n - 1], key))).toBe(true);
    }
  });

  it('keeps instructions, tools and the prompt cache key byte-identical on every request', () => {
    const bodies = scenario.server.requests.map(bodyOf);
    const tools = bodies.map((body) => JSON.stringify(body.tools));
    expect(tools[0]).toContain('"apply_patch"');
    expect(new Set(tools).size).toBe(1);
    const instructions = bodies.map((body) =>
      api === 'responses' ? body.instructions : JSON.stringify((body.messages as unknown[])[0]),
    );
    expect(String(instructions[0])).toContain('Patchling');
    expect(new Set(instructions).size).toBe(1);
    const cacheKeys = bodies.map((body) => body.prompt_cache_key);
    expect(cacheKeys[0]).toEqual(expect.any(String));
    expect(new Set(cacheKeys).size).toBe(1);
  });
});
