import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { step } from '../support/model-server/index.js';
import { inputOf, startScenario, type Scenario } from './harness.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('patchling exec usage errors exit 2 with a clear message, before any model call', () => {
  it('no prompt', async () => {
    scenario = await startScenario([step.text('unused')]);
    const result = await scenario.run(['exec']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No prompt/);
    expect(result.stdout).toBe('');
    expect(scenario.server.requests).toHaveLength(0);
  });

  it('an unknown --sandbox policy', async () => {
    scenario = await startScenario([step.text('unused')]);
    const result = await scenario.run(['exec', '--sandbox', 'bogus', 'Do it.']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bogus/);
    expect(result.stderr).toMatch(/workspace-write/);
    expect(scenario.server.requests).toHaveLength(0);
  });

  it('an --output-schema file that is not JSON', async () => {
    scenario = await startScenario([step.text('unused')]);
    const schemaFile = path.join(scenario.stateDir, 'schema.json');
    await writeFile(schemaFile, '{ type: object, oops');
    const result = await scenario.run(['exec', '--output-schema', schemaFile, 'Do it.']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(schemaFile);
    expect(result.stderr).toMatch(/output schema/);
    expect(scenario.server.requests).toHaveLength(0);
    expect(existsSync(path.join(scenario.stateDir, 'runs'))).toBe(false);
  });

  it('no OPENAI_API_KEY for the openai provider', async () => {
    scenario = await startScenario([step.text('unused')]);
    const env = { ...scenario.env, OPENAI_API_KEY: undefined };
    const result = await scenario.run(['exec', 'Do it.'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/OPENAI_API_KEY/);
    expect(scenario.server.requests).toHaveLength(0);
  });
});

describe('patchling exec on a checkout that keeps credentials', () => {
  it('refuses before anything runs, naming the fix (actions/checkout persist-credentials)', async () => {
    scenario = await startScenario([step.text('unused')]);
    const header = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==';
    execFileSync('git', ['config', 'http.https://github.com/.extraheader', header], {
      cwd: scenario.repo.dir,
    });
    const result = await scenario.run(['exec', 'cat .git/config']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/keeps credentials in its git config/);
    expect(result.stderr).toMatch(/persist-credentials: false/);
    expect(result.stderr).not.toContain('eC1hY2Nlc3MtdG9rZW46');
    expect(scenario.server.requests).toHaveLength(0);
  });
});

describe('patchling exec and stdin', () => {
  it('`exec -` reads the task from stdin', async () => {
    scenario = await startScenario([step.text('Read it.')]);
    const task = 'TASK-FROM-STDIN: rename the sum function.';
    const result = await scenario.run(['exec', '-'], { stdin: `${task}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Read it.\n');
    expect(JSON.stringify(inputOf(scenario.server.requests[0]))).toContain(task);
  });

  it('a prompt given as an argument never waits on a stdin that stays open', async () => {
    scenario = await startScenario([step.text('Did not wait.')]);
    const result = await scenario.run(['exec', 'Go.'], { stdin: 'open', timeoutMs: 15_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Did not wait.\n');
  });
});

describe('patchling --version', () => {
  it("prints package.json's version and exits 0, without calling the model", async () => {
    scenario = await startScenario([step.text('unused')]);
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await scenario.run([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${pkg.version}\n`);
    }
    expect(scenario.server.requests).toHaveLength(0);
  });
});
