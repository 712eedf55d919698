/** How an eval runs: the scripted model (the default, CI) or the configured provider. */
export type EvalMode = 'scripted' | 'real';

/** Environment variable that selects the mode: `real`, or `scripted` (the default). */
export const MODE_ENV = 'PATCHLING_EVAL';

/** Reads the mode from PATCHLING_EVAL: `real`, or `scripted` when unset. */
export function modeFromEnv(env: Readonly<Record<string, string | undefined>>): EvalMode {
  const value = env[MODE_ENV]?.trim() ?? '';
  if (value === '' || value === 'scripted') return 'scripted';
  if (value === 'real') return 'real';
  throw new Error(`${MODE_ENV} must be "real" or "scripted"; got ${JSON.stringify(value)}.`);
}
