import type { ParsedArguments } from './types.js';

/**
 * Function-call arguments as the model wrote them. Invalid JSON is not a transport
 * error: the agent loop hands it back to the model as a tool error it can correct.
 */
export function parseArguments(raw: string): ParsedArguments {
  const text = raw.trim() === '' ? '{}' : raw;
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `invalid JSON (${reason})` };
  }
}
