import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserError } from '../../src/errors.js';
import { createListDirTool } from '../../src/tools/list-dir.js';
import { createReadFileTool } from '../../src/tools/read-file.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import type { Tool, ToolContext } from '../../src/tools/types.js';
import { createUpdatePlanTool } from '../../src/tools/update-plan.js';
import { createViewImageTool } from '../../src/tools/view-image.js';

let workspace: string;

function context(signal = new AbortController().signal): ToolContext {
  return {
    workspace,
    sandbox: {
      policy: 'read-only',
      workspace,
      run: () => Promise.reject(new Error('no commands here')),
    },
    signal,
    emit: () => {},
  };
}

function fakeTool(
  name: string,
  run: Tool['run'] = async () => ({ ok: true, output: 'done' }),
  mutating = false,
): Tool {
  return {
    name,
    description: `The ${name} tool.`,
    parameters: z.object({
      count: z.number().int().default(1).describe('How many.'),
      label: z.string().describe('A label.'),
    }),
    mutating,
    run,
  };
}

const realTools = () => [
  createReadFileTool(),
  createListDirTool(),
  createUpdatePlanTool(),
  createViewImageTool(),
];

const ok = (value: unknown) => ({ ok: true, value }) as const;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-registry-'));
  await writeFile(path.join(workspace, 'a.txt'), 'hello\n');
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('createToolRegistry', () => {
  it('gives byte-identical specs on every call, in the given order', () => {
    const registry = createToolRegistry(realTools());
    const first = JSON.stringify(registry.specs());
    expect(JSON.stringify(registry.specs())).toBe(first);
    expect(registry.specs()).toBe(registry.specs());
    expect(Object.isFrozen(registry.specs()[0]?.parameters)).toBe(true);
    expect(registry.specs().map((spec) => spec.name)).toEqual([
      'read_file',
      'list_dir',
      'update_plan',
      'view_image',
    ]);
    // A second registry over fresh tool objects produces the same bytes too.
    expect(JSON.stringify(createToolRegistry(realTools()).specs())).toBe(first);
  });

  it('sends a clean JSON schema: no $schema, no 2^53 bounds, defaults optional', () => {
    const [spec] = createToolRegistry([fakeTool('fake')]).specs();
    expect(spec).toEqual({
      name: 'fake',
      description: 'The fake tool.',
      parameters: {
        type: 'object',
        properties: {
          count: { type: 'integer', default: 1, description: 'How many.' },
          label: { type: 'string', description: 'A label.' },
        },
        required: ['label'],
      },
    });
  });

  it('rejects duplicate names, bad names and non-object schemas', () => {
    expect(() => createToolRegistry([fakeTool('same'), fakeTool('same')])).toThrow(UserError);
    expect(() => createToolRegistry([fakeTool('same'), fakeTool('same')])).toThrow(/same/);
    expect(() => createToolRegistry([fakeTool('has space')])).toThrow(UserError);
    const scalar: Tool = { ...fakeTool('scalar'), parameters: z.string() };
    expect(() => createToolRegistry([scalar])).toThrow(/zod object schema/);
  });

  it('looks tools up and knows which mutate', () => {
    const registry = createToolRegistry([fakeTool('reader'), fakeTool('writer', undefined, true)]);
    expect(registry.get('reader')?.name).toBe('reader');
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.isMutating('reader')).toBe(false);
    expect(registry.isMutating('writer')).toBe(true);
    expect(registry.isMutating('nope')).toBe(true);
  });

  it('runs a real tool with validated arguments', async () => {
    const registry = createToolRegistry(realTools());
    const outcome = await registry.execute(
      { name: 'read_file', parsed: ok({ path: 'a.txt' }) },
      context(),
    );
    expect(outcome).toEqual({ ok: true, output: 'L1: hello' });
  });

  it('hands the handler parsed values, defaults applied', async () => {
    let seen: unknown;
    const registry = createToolRegistry([
      fakeTool('fake', async (args) => {
        seen = args;
        return { ok: true, output: 'done' };
      }),
    ]);
    await registry.execute({ name: 'fake', parsed: ok({ label: 'x' }) }, context());
    expect(seen).toEqual({ count: 1, label: 'x' });
  });

  it('answers an unknown tool with the available names', async () => {
    const registry = createToolRegistry(realTools());
    const outcome = await registry.execute({ name: 'rm_rf', parsed: ok({}) }, context());
    expect(outcome).toEqual({
      ok: false,
      output:
        'There is no tool named "rm_rf". Available tools: read_file, list_dir, update_plan, view_image.',
    });
  });

  it('answers arguments that were not JSON', async () => {
    const registry = createToolRegistry(realTools());
    const outcome = await registry.execute(
      { name: 'read_file', parsed: { ok: false, error: 'Unexpected token } at position 9' } },
      context(),
    );
    expect(outcome).toEqual({
      ok: false,
      output:
        'The arguments were not valid JSON: Unexpected token } at position 9; call the tool again with a JSON object matching its schema.',
    });
  });

  it('names the field that failed validation', async () => {
    const registry = createToolRegistry(realTools());
    const outcome = await registry.execute(
      { name: 'read_file', parsed: ok({ path: 'a.txt', offset: 0 }) },
      context(),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/^Invalid arguments for read_file:\n/);
    expect(outcome.output).toMatch(/→ at offset/);
    expect(outcome.output).toMatch(/>=1/);

    const missing = await registry.execute({ name: 'read_file', parsed: ok({}) }, context());
    expect(missing.output).toMatch(/→ at path/);

    const nested = await registry.execute(
      { name: 'update_plan', parsed: ok({ plan: [{ step: 'a', status: 'doing' }] }) },
      context(),
    );
    expect(nested.output).toMatch(/→ at plan\[0\]\.status/);
  });

  it('turns a thrown handler error into an outcome', async () => {
    const registry = createToolRegistry([
      fakeTool('fragile', async () => {
        throw new Error('disk on fire');
      }),
    ]);
    const outcome = await registry.execute(
      { name: 'fragile', parsed: ok({ label: 'x' }) },
      context(),
    );
    expect(outcome).toEqual({ ok: false, output: 'fragile failed: disk on fire' });
  });

  it('rethrows when the run was aborted, so the run can stop', async () => {
    const controller = new AbortController();
    const registry = createToolRegistry([
      fakeTool('slow', async () => {
        controller.abort(new Error('job cancelled'));
        throw new Error('interrupted');
      }),
    ]);
    await expect(
      registry.execute({ name: 'slow', parsed: ok({ label: 'x' }) }, context(controller.signal)),
    ).rejects.toThrow('job cancelled');
  });

  it('does not start a tool once the run is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    let ran = false;
    const registry = createToolRegistry([
      fakeTool('never', async () => {
        ran = true;
        return { ok: true, output: '' };
      }),
    ]);
    await expect(
      registry.execute({ name: 'never', parsed: ok({ label: 'x' }) }, context(controller.signal)),
    ).rejects.toThrow('job cancelled');
    expect(ran).toBe(false);
  });
});
