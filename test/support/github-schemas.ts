import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { expect } from 'vitest';

/**
 * Request bodies checked against GitHub's published request schemas
 * (test/fixtures/github-request-schemas.json, extracted from @octokit/openapi). The
 * schemas are tightened: an object that lists its properties accepts no others, so a
 * misspelt field fails here instead of being ignored by GitHub.
 */
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/github-request-schemas.json', import.meta.url), 'utf8'),
) as { source: string; endpoints: Record<string, Record<string, unknown>> };

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', {
  type: 'string',
  validate: (value: string) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value)),
});
ajv.addFormat('uri', { type: 'string', validate: (value: string) => URL.canParse(value) });
ajv.addFormat('repo.nwo', {
  type: 'string',
  validate: (value: string) => /^[^/]+\/[^/]+$/.test(value),
});
ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isInteger(value) });

/** The routes the fixture covers, e.g. "POST /repos/{owner}/{repo}/check-runs". */
export const githubRequestRoutes: readonly string[] = Object.keys(fixture.endpoints);

const validators: ReadonlyMap<string, ValidateFunction> = new Map(
  Object.entries(fixture.endpoints).map(([route, schema]) => [
    route,
    ajv.compile(closeObjects(schema) as Record<string, unknown>),
  ]),
);

/** Fails the test unless `body` is a valid request body for `method route`. */
export function expectValidGitHubRequest(method: string, route: string, body: unknown): void {
  const key = `${method.toUpperCase()} ${route}`;
  const validate = validators.get(key);
  if (!validate) throw new Error(`no request schema for ${key} in the fixture`);
  const valid = validate(body);
  expect(valid ? [] : describe(validate.errors), `${key} body ${JSON.stringify(body)}`).toEqual([]);
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}

/** A copy with additionalProperties: false wherever properties are listed and nothing is said. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Property names are data, not schemas: recurse into their schemas only.
    copy[key] =
      key === 'properties' && typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, closeObjects(sub)]))
        : closeObjects(value);
  }
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}
