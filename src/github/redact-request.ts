import type { Octokit } from '@octokit/rest';
import type { SecretRedactor } from '../util/redact-secrets.js';

/** Request options that are transport, not content: the auth header must stay intact. */
const TRANSPORT_KEYS: ReadonlySet<string> = new Set([
  'method',
  'url',
  'baseUrl',
  'headers',
  'request',
  'mediaType',
]);

/**
 * Every string in a request's parameters (comment and review bodies, check run output,
 * PR titles, GraphQL variables, URL parameters) passes through the redactor before the
 * request leaves, so no call site can forget it. Installed once per octokit.
 * Binary bodies (Buffers) and headers are left alone. Already-encoded payloads (the
 * gzipped SARIF upload) cannot be scanned here: redact those before encoding.
 */
export function installRequestRedaction(
  octokit: Pick<Octokit, 'hook'>,
  redactor: SecretRedactor,
): void {
  octokit.hook.before('request', (options) => {
    // endpoint.merge builds a fresh top-level object per request; nested values still
    // belong to the caller, so they are replaced with redacted copies, never mutated.
    const parameters = options as Record<string, unknown>;
    for (const key of Object.keys(parameters)) {
      if (TRANSPORT_KEYS.has(key)) continue;
      parameters[key] = redactDeep(parameters[key], redactor);
    }
  });
}

/** A copy of a JSON-like value with every string redacted; other values as they are. */
export function redactDeep(value: unknown, redactor: SecretRedactor): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, redactor));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactDeep(item, redactor)]),
    );
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
