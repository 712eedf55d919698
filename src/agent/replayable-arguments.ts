/**
 * Function-call arguments the provider will parse when we send them back. Kept apart
 * (no imports) so both the loop and resume can use it without a cycle.
 */

/** The key of the placeholder that stands for arguments that were not a JSON object. */
export const INVALID_ARGUMENTS_KEY = 'patchling_invalid_arguments';
/** How much of the broken arguments the placeholder quotes, for the model to see what it sent. */
const QUOTED_CHARS = 200;

/** The arguments as they may be sent back to the provider. */
export function replayableArguments(raw: string): string {
  if (raw.trim() === '') return '{}';
  if (parseJsonObject(raw) !== undefined) return raw;
  const quoted = raw.length > QUOTED_CHARS ? `${raw.slice(0, QUOTED_CHARS)}…` : raw;
  return JSON.stringify({
    [INVALID_ARGUMENTS_KEY]: quoted,
    note: 'These arguments were not a JSON object, so the call was not run. Patchling replaced them here.',
  });
}

/** True for the placeholder written by replayableArguments (a resumed run must not run it). */
export function isArgumentsPlaceholder(value: unknown): boolean {
  return typeof value === 'object' && value !== null && INVALID_ARGUMENTS_KEY in value;
}

/** The text as a JSON object, or undefined when it is not one (an array, a number, no JSON). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
