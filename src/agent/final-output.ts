import type { ErrorObject } from 'ajv';
import { z } from 'zod';
import { UserError } from '../errors.js';

/** A JSON Schema the final answer must match, with its validator. */
export interface FinalOutputSpec {
  readonly name: string;
  readonly schema: Record<string, unknown>;
  /** undefined when the value matches; otherwise what is wrong, for the model to repair. */
  validate(value: unknown): string | undefined;
}

/** From a zod schema (jobs in code). */
export function outputSpecFromZod(name: string, schema: z.ZodType): FinalOutputSpec {
  const json = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  delete json.$schema;
  return {
    name,
    schema: json,
    validate: (value) => {
      const result = schema.safeParse(value);
      return result.success ? undefined : z.prettifyError(result.error);
    },
  };
}

/**
 * From a JSON Schema file (the CLI's --output-schema). ajv is loaded only here: most runs
 * need no schema, and it costs startup time.
 */
export async function outputSpecFromJsonSchema(
  name: string,
  schema: unknown,
): Promise<FinalOutputSpec> {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new UserError('The output schema must be a JSON object (a JSON Schema).');
  }
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  let check: ReturnType<InstanceType<typeof Ajv>['compile']>;
  try {
    check = ajv.compile(schema);
  } catch (error) {
    throw new UserError(
      `The output schema is not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
  const json = { ...(schema as Record<string, unknown>) };
  delete json.$schema;
  return {
    name,
    schema: json,
    validate: (value) => (check(value) ? undefined : formatAjvErrors(check.errors ?? [])),
  };
}

function formatAjvErrors(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');
}

/** Parses the model's final text as JSON (tolerating a code fence) and validates it. */
export function parseFinalOutput(
  text: string,
  spec: FinalOutputSpec,
): { ok: true; value: unknown } | { ok: false; errors: string } {
  const unfenced = text.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/, '$1');
  let value: unknown;
  try {
    value = JSON.parse(unfenced);
  } catch (error) {
    return { ok: false, errors: `the answer is not JSON (${(error as Error).message})` };
  }
  const problem = spec.validate(value);
  return problem === undefined ? { ok: true, value } : { ok: false, errors: problem };
}

/**
 * OpenAI's strict mode accepts only schemas where every object lists all its properties
 * as required and forbids others. Asking for strict on any other schema is a 400.
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return true;
  const node = schema as Record<string, unknown>;
  const properties = (node.properties as Record<string, unknown> | undefined) ?? {};
  if (node.type === 'object' || node.properties) {
    const required = new Set((node.required as string[] | undefined) ?? []);
    if (node.additionalProperties !== false) return false;
    if (!Object.keys(properties).every((key) => required.has(key))) return false;
  }
  // Subschemas by keyword: a property *named* "properties" is data, not a keyword.
  const children: unknown[] = [
    ...Object.values(properties),
    ...asList(node.items),
    ...asList(node.anyOf),
    ...asList(node.oneOf),
    ...asList(node.allOf),
    ...Object.values((node.$defs as Record<string, unknown> | undefined) ?? {}),
    ...Object.values((node.definitions as Record<string, unknown> | undefined) ?? {}),
  ];
  return children.every(isStrictCompatible);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
