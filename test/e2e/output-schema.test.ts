import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { step, type ScriptStep } from '../support/model-server/index.js';
import {
  bodyOf,
  inputOf,
  startScenario,
  textOfItem,
  type Scenario,
  nonProgressLines,
} from './harness.js';

const SCHEMA = {
  type: 'object',
  properties: {
    summary: { type: 'string' },
    fixed: { type: 'boolean' },
  },
  required: ['summary', 'fixed'],
  additionalProperties: false,
};
const ANSWER = { summary: 'sum() added instead of subtracting', fixed: true };
const REPAIR_PROMPT = 'Your final answer must be JSON matching the required schema';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

async function runWithSchema(script: ScriptStep[]) {
  scenario = await startScenario(script);
  const schemaFile = path.join(scenario.stateDir, 'schema.json');
  await writeFile(schemaFile, JSON.stringify(SCHEMA));
  const result = await scenario.run(['exec', '--output-schema', schemaFile, 'Report on sum.js.']);
  return { result, requests: scenario.server.requests };
}

describe('patchling exec --output-schema', () => {
  it('prints the JSON answer that matches the schema, and asks the provider to enforce it', async () => {
    const { result, requests } = await runWithSchema([step.text(JSON.stringify(ANSWER))]);
    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(ANSWER);
    expect(bodyOf(requests[0]).text).toEqual({
      format: { type: 'json_schema', name: 'final_answer', schema: SCHEMA, strict: true },
    });
  });

  it('repairs a wrong first answer once, with the repair prompt naming what is missing', async () => {
    const { result, requests } = await runWithSchema([
      step.text(JSON.stringify({ summary: 'forgot a field' })),
      step.text(JSON.stringify(ANSWER)),
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(ANSWER);
    expect(requests).toHaveLength(2);
    const repair = textOfItem(inputOf(requests[1]).at(-1));
    expect(repair).toContain(REPAIR_PROMPT);
    expect(repair).toContain('fixed');
    expect(inputOf(requests[1]).at(-2)).toMatchObject({ role: 'assistant' });
  });

  it('fails with exit 1 when the repaired answer is still wrong', async () => {
    const { result, requests } = await runWithSchema([
      step.text(JSON.stringify({ summary: 'forgot a field' })),
      step.text('still not JSON'),
      step.text(JSON.stringify(ANSWER)),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/did not match the output schema/);
    expect(requests).toHaveLength(2);
  });
});
