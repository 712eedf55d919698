/**
 * GitHub's own example webhook payloads (`@octokit/webhooks-examples`), for tests that must
 * see real shapes. Every helper returns a deep copy, so a test may change what it got.
 * An App always receives `installation`; some examples lack it, so it is added.
 */
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import type { WebhookEventMap, WebhookEventName } from '@octokit/webhooks-types';

export const TEST_INSTALLATION = {
  id: 4242,
  node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==',
};

/** Overrides merged into an example: objects merge, anything else replaces, undefined deletes. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

// The package's main is a JSON file, which ESM can only import with an attribute; the
// CommonJS loader reads it plainly.
function definitions(): readonly WebhookDefinition[] {
  return createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];
}

/** Every example of an event, optionally only those of one action. */
export function webhookExamples<N extends WebhookEventName>(
  name: N,
  action?: string,
): WebhookEventMap[N][] {
  const definition = definitions().find((candidate) => candidate.name === name);
  if (definition === undefined) throw new Error(`no webhook examples for ${name}`);
  const examples = definition.examples as WebhookEventMap[N][];
  return examples
    .filter((example) => action === undefined || actionOf(example) === action)
    .map((example) => structuredClone(example));
}

/**
 * The first example of `name`.`action`, with `installation` added, and `overrides` merged
 * in. Throws when GitHub publishes no such example, so a test cannot silently build on air.
 */
export function webhookPayload<N extends WebhookEventName>(
  name: N,
  action: string | undefined,
  overrides?: DeepPartial<WebhookEventMap[N]>,
): WebhookEventMap[N] {
  const example: unknown = webhookExamples(name, action)[0];
  if (!isPlainObject(example)) throw new Error(`no example of ${name}.${action ?? '(no action)'}`);
  const withInstallation = { installation: structuredClone(TEST_INSTALLATION), ...example };
  return merge(withInstallation, overrides ?? {}) as WebhookEventMap[N];
}

function actionOf(example: unknown): unknown {
  return typeof example === 'object' && example !== null && 'action' in example
    ? example.action
    : undefined;
}

function merge(base: unknown, overrides: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overrides)) return structuredClone(overrides);
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[key];
    else result[key] = merge(base[key], value);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
