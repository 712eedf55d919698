import { afterEach, describe, expect, it } from 'vitest';
import { step } from '../support/model-server/index.js';
import { parseJsonLines, startScenario, type Scenario } from './harness.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('patchling exec budgets', () => {
  it('--max-turns stops an endless run of tool calls with exit 124 and says which budget', async () => {
    const endless = Array.from({ length: 6 }, (_, i) =>
      step.toolCalls([{ name: 'shell', arguments: { command: `echo turn ${i}` } }]),
    );
    scenario = await startScenario(endless);
    const result = await scenario.run(['exec', '--max-turns', '2', 'Keep going.']);
    expect(result.code).toBe(124);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/maximum number of turns/);
    expect(result.stderr).toMatch(/exec resume \S+/);
    expect(scenario.server.requests).toHaveLength(2);
  });

  it('--timeout ends a run stuck in a long command within seconds, with exit 124, naming the deadline', async () => {
    scenario = await startScenario([
      step.toolCalls([{ name: 'shell', arguments: { command: 'sleep 20' } }]),
      step.text('never reached'),
    ]);
    const result = await scenario.run(['exec', '--timeout', '2s', 'Wait for it.']);
    expect(result.code).toBe(124);
    expect(result.stderr).toMatch(/deadline/);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(scenario.server.requests).toHaveLength(1);
  });

  it('shows each 429 wait as a model_retry event in --json, and only JSON lines on stdout', async () => {
    scenario = await startScenario([
      step.rateLimited({ retryAfterMs: '50' }),
      step.rateLimited({ retryAfterMs: '50' }),
      step.rateLimited({ retryAfterMs: '50' }),
      step.text('Done after the storm.'),
    ]);
    const result = await scenario.run(['exec', '--json', 'Say done.']);
    expect(result.code).toBe(0);
    const events = parseJsonLines(result.stdout);
    const retries = events.filter((event) => event.type === 'model_retry');
    expect(retries).toHaveLength(3);
    for (const retry of retries) {
      expect(retry).toMatchObject({ retry: { kind: 'rate_limit', delayMs: 50 } });
    }
    expect(events[0]).toMatchObject({ type: 'run_started' });
    expect(events.at(-1)).toMatchObject({
      type: 'run_finished',
      status: 'completed',
      finalMessage: 'Done after the storm.',
    });
    expect(scenario.server.requests).toHaveLength(4);
  });
});
