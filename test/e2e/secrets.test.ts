import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { step } from '../support/model-server/index.js';
import type { CliResult } from '../support/run-cli.js';
import { callOutputs, startScenario, type Scenario } from './harness.js';

const GITHUB_TOKEN = 'ghp_patchlingTestToken0123456789abcdef';

describe('patchling exec keeps secrets out of reach', () => {
  let scenario: Scenario;
  let result: CliResult;

  beforeAll(async () => {
    scenario = await startScenario([], { env: { GITHUB_TOKEN } });
    scenario.server.push(
      step.toolCalls([{ name: 'shell', arguments: { command: 'env' }, callId: 'call_env' }]),
      // A model that leaks the key it somehow learned: the way out must redact it.
      step.text(`the key is ${scenario.apiKey}`),
    );
    result = await scenario.run(['exec', 'Print the environment.']);
  });
  afterAll(() => scenario.close());

  it('redacts the API key the model echoes back in the printed answer', () => {
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('the key is [REDACTED]\n');
    expect(result.stdout + result.stderr).not.toContain(scenario.apiKey);
  });

  it('never writes the API key to the run log', async () => {
    const [runId] = await scenario.runIds();
    const log = await scenario.runLog(runId!);
    expect(log).toContain('[REDACTED]');
    expect(log).not.toContain(scenario.apiKey);
    expect(log).not.toContain(GITHUB_TOKEN);
  });

  it('gives sandboxed commands an environment without the API key or the GitHub token', () => {
    const [env] = callOutputs(scenario.server.requests[1]);
    expect(env?.callId).toBe('call_env');
    // The command really ran and printed an environment...
    expect(env?.output).toMatch(/^Exit code: 0\n/);
    expect(env?.output).toMatch(/^PATH=/m);
    // ...which holds neither secret, not even under another name.
    expect(env?.output).not.toContain(scenario.apiKey);
    expect(env?.output).not.toContain(GITHUB_TOKEN);
    expect(env?.output).not.toMatch(/^(OPENAI_API_KEY|GITHUB_TOKEN)=/m);
  });

  it('sends the key only as the authorization header, never in a request body', () => {
    for (const request of scenario.server.requests) {
      expect(request.rawBody).not.toContain(scenario.apiKey);
      expect(request.headers.authorization).toBe(`Bearer ${scenario.apiKey}`);
    }
  });
});
