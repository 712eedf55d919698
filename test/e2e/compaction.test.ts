import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { step, type RecordedRequest } from '../support/model-server/index.js';
import type { CliResult } from '../support/run-cli.js';
import {
  bodyOf,
  inputOf,
  startScenario,
  textOfItem,
  type Scenario,
  nonProgressLines,
} from './harness.js';

const COMPACT_PROMPT = readFileSync(
  fileURLToPath(new URL('../../prompts/compact.md', import.meta.url)),
  'utf8',
).trim();
const TASK = 'List the files, then say which one holds the sum function.';
const SUMMARY = 'HANDOFF-SUMMARY-7731: listed the files with ls; sum() lives in sum.js.';
const FINAL = 'sum() is in sum.js.';

const isCompactionRequest = (request: RecordedRequest) =>
  textOfItem(inputOf(request).at(-1)).startsWith('Your context is nearly full');

describe('patchling exec: a context-length error mid-run', () => {
  let scenario: Scenario;
  let result: CliResult;

  beforeAll(async () => {
    scenario = await startScenario([
      step.toolCalls([{ name: 'shell', arguments: { command: 'ls' }, callId: 'call_ls' }]),
      step.contextLengthExceeded(),
      // Answer the summary only when it is asked for; anything else fails the run visibly.
      step.respond((request) =>
        isCompactionRequest(request)
          ? step.text(SUMMARY)
          : step.badRequest('expected the compaction request here'),
      ),
      step.text(FINAL),
    ]);
    result = await scenario.run(['exec', '--api', 'responses', TASK]);
  });
  afterAll(() => scenario.close());

  it('compacts with the compact prompt and carries on to the final answer', () => {
    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FINAL}\n`);
    const requests = scenario.server.requests;
    expect(requests).toHaveLength(4);
    expect(textOfItem(inputOf(requests[2]).at(-1))).toBe(COMPACT_PROMPT);
  });

  it('sends the task and the summary in the request after the compaction', () => {
    const after = JSON.stringify(inputOf(scenario.server.requests[3]));
    expect(after).toContain(TASK);
    expect(after).toContain(SUMMARY);
    expect(after).not.toContain('Your context is nearly full');
  });

  it('keeps instructions and tools identical in the compaction request, so it reuses the cache', () => {
    const bodies = scenario.server.requests.map(bodyOf);
    expect(new Set(bodies.map((b) => b.instructions)).size).toBe(1);
    expect(new Set(bodies.map((b) => JSON.stringify(b.tools))).size).toBe(1);
  });

  it('records the compaction in the run log', async () => {
    const [runId] = await scenario.runIds();
    const events = (await scenario.runLog(runId!))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; reason?: string; history?: unknown });
    const compacted = events.filter((event) => event.type === 'compacted');
    expect(compacted).toHaveLength(1);
    expect(compacted[0]!.reason).toBe('context_window');
    expect(JSON.stringify(compacted[0]!.history)).toContain(SUMMARY);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'completed' });
  });
});
