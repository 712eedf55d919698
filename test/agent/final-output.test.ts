import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  isStrictCompatible,
  outputSpecFromJsonSchema,
  outputSpecFromZod,
  parseFinalOutput,
  type FinalOutputSpec,
} from '../../src/agent/final-output.js';
import { UserError } from '../../src/errors.js';

let spec: FinalOutputSpec;
beforeAll(async () => {
  spec = await outputSpecFromJsonSchema('answer', {
    type: 'object',
    properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, count: { type: 'integer' } },
    required: ['verdict', 'count'],
    additionalProperties: false,
  });
});

describe('parseFinalOutput', () => {
  it('accepts plain JSON that matches', () => {
    expect(parseFinalOutput('{"verdict":"pass","count":2}', spec)).toEqual({
      ok: true,
      value: { verdict: 'pass', count: 2 },
    });
  });

  it.each([
    '```json\n{"verdict":"fail","count":0}\n```',
    '```\n{"verdict":"fail","count":0}\n```',
    '  \n```json\n{"verdict":"fail","count":0}```\n',
  ])('accepts JSON inside a code fence: %j', (text) => {
    expect(parseFinalOutput(text, spec)).toEqual({
      ok: true,
      value: { verdict: 'fail', count: 0 },
    });
  });

  it('says what is wrong: not JSON, a missing field, an extra field', () => {
    const notJson = parseFinalOutput('All done!', spec);
    expect(notJson).toMatchObject({ ok: false, errors: expect.stringMatching(/not JSON/) });
    const missing = parseFinalOutput('{"verdict":"pass"}', spec);
    expect(missing).toMatchObject({ ok: false, errors: expect.stringMatching(/count/) });
    const extra = parseFinalOutput('{"verdict":"pass","count":1,"note":"x"}', spec);
    expect(extra).toMatchObject({ ok: false, errors: expect.stringMatching(/additional/) });
  });

  it('validates with a zod schema for jobs defined in code', () => {
    const zodSpec = outputSpecFromZod('review', z.object({ approve: z.boolean() }));
    expect(zodSpec.schema).not.toHaveProperty('$schema');
    expect(parseFinalOutput('{"approve":true}', zodSpec)).toEqual({
      ok: true,
      value: { approve: true },
    });
    expect(parseFinalOutput('{"approve":"yes"}', zodSpec).ok).toBe(false);
  });
});

describe('outputSpecFromJsonSchema', () => {
  it('rejects a schema that is not a JSON object, or not a valid schema, as a user error', async () => {
    await expect(outputSpecFromJsonSchema('x', [])).rejects.toThrow(UserError);
    await expect(outputSpecFromJsonSchema('x', 'string')).rejects.toThrow(UserError);
    await expect(outputSpecFromJsonSchema('x', { type: 'no-such-type' })).rejects.toThrow(
      UserError,
    );
  });
});

describe('isStrictCompatible', () => {
  const strictObject = (properties: Record<string, unknown>) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  });

  it.each([
    ['a flat object, all required, no extras', strictObject({ a: { type: 'string' } })],
    [
      'nested objects and arrays of objects that are all strict',
      strictObject({
        inner: strictObject({ n: { type: 'number' } }),
        list: { type: 'array', items: strictObject({ s: { type: 'string' } }) },
      }),
    ],
    [
      'a field named like a schema keyword',
      strictObject({ type: { type: 'string' }, properties: { type: 'string' } }),
    ],
    ['a non-object root', { type: 'string' }],
  ])('true for %s', (_name, schema) => {
    expect(isStrictCompatible(schema)).toBe(true);
  });

  it.each([
    ['an optional property', { ...strictObject({ a: { type: 'string' } }), required: [] }],
    [
      'no additionalProperties: false',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
    ],
    [
      'a loose object nested in an array',
      strictObject({
        list: { type: 'array', items: { type: 'object', properties: { x: { type: 'string' } } } },
      }),
    ],
    ['properties without a type', { properties: { a: { type: 'string' } } }],
  ])('false for %s', (_name, schema) => {
    expect(isStrictCompatible(schema)).toBe(false);
  });
});
