import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayedArguments, step } from '../support/model-server/index.js';
import type { CliResult } from '../support/run-cli.js';
import { startScenario, type Scenario } from './harness.js';

const CAPTURE = readFileSync(
  fileURLToPath(
    new URL(
      '../fixtures/llama-server/llama-server-b1-5b4ebc5-chat-stream-toolcall-length.sse',
      import.meta.url,
    ),
  ),
  'utf8',
);
const FINAL = 'Recovered after the cut-off call.';

const eventsOf = async (scenario: Scenario) => {
  const [runId] = await scenario.runIds();
  return (await scenario.runLog(runId!))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('patchling exec against a llama-server that cuts a tool call off at max_tokens', () => {
  let scenario: Scenario;
  let result: CliResult;

  beforeAll(async () => {
    scenario = await startScenario(
      [
        { kind: 'raw_stream', text: CAPTURE },
        // As llama-server does: 500 to any request that replays arguments it cannot parse.
        step.rejectingInvalidReplayedArguments(step.text(FINAL)),
      ],
      { env: { PATCHLING_PROVIDER: 'local' } },
    );
    result = await scenario.run(['exec', '--api', 'chat', 'List the files.']);
  });
  afterAll(() => scenario.close());

  it('answers the broken call, never replays its arguments, and finishes', () => {
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FINAL}\n`);
    // The user sees it on the progress lines (stderr, terminal or not).
    expect(result.stderr).toMatch(
      /turn 1 was cut off at the output token limit; 1 of its 1 tool call/,
    );
    const [, second] = scenario.server.requests;
    for (const args of replayedArguments(second!)) expect(() => JSON.parse(args)).not.toThrow();
  });

  it('records the cut-off turn and the original arguments in the run log', async () => {
    const events = await eventsOf(scenario);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'turn_notice', kind: 'output_limit', turn: 1 }),
    );
    const started = events.find((event) => event.type === 'tool_started');
    expect(String(started?.arguments)).toMatch(/^\{"command/);
    expect(() => JSON.parse(String(started?.arguments))).toThrow();
  });
});

describe('patchling exec when the model answers with nothing', () => {
  let scenario: Scenario;
  let result: CliResult;

  beforeAll(async () => {
    scenario = await startScenario([step.text(''), step.text('')]);
    result = await scenario.run(['exec', '--api', 'responses', 'Say something.']);
  });
  afterAll(() => scenario.close());

  it('nudges once, then fails with exit 1 and says why, instead of exit 0 with an empty answer', () => {
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/the model gave no answer: turn 2 ended with an empty answer/);
    expect(scenario.server.requests).toHaveLength(2);
  });
});
