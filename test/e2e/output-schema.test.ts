import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UNMATCHED_ANSWER_MARK } from '../../src/triggers/cli/exec-command.js';
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

async function runWithSchema(script: ScriptStep[], extraArgs: readonly string[] = []) {
  scenario = await startScenario(script);
  const schemaFile = path.join(scenario.stateDir, 'schema.json');
  await writeFile(schemaFile, JSON.stringify(SCHEMA));
  const result = await scenario.run([
    'exec',
    '--output-schema',
    schemaFile,
    ...extraArgs,
    'Report on sum.js.',
  ]);
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
    // A failed run is finished: resume is not suggested, and would refuse.
    expect(result.stderr).not.toMatch(/resume/);
    const runId = /\(run (\S+)\)/.exec(result.stderr)?.[1] ?? '';
    const again = await scenario?.run(['exec', 'resume', runId]);
    expect(again?.stderr).toMatch(/already finished/);
    expect(requests).toHaveLength(2);
  });

  it('keeps the answer that failed the schema: on stderr and in -o, marked as not matching', async () => {
    const out = path.join(os.tmpdir(), `patchling-last-${process.pid}-${Date.now()}.txt`);
    try {
      const { result } = await runWithSchema(
        [step.text('no JSON here'), step.text('still no JSON, sorry')],
        ['-o', out],
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const kept = `${UNMATCHED_ANSWER_MARK}\nstill no JSON, sorry\n`;
      expect(result.stderr).toContain(kept);
      expect(await readFile(out, 'utf8')).toBe(kept);
    } finally {
      await rm(out, { force: true });
    }
  });
});
