import { UserError } from '../errors.js';
import type { SandboxLimits } from './types.js';

const MiB = 1024 * 1024;

/**
 * Generous enough for real builds and test suites, small enough that a runaway command
 * cannot take a 2-core CI runner down with it.
 */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = Object.freeze({
  maxProcesses: 512,
  maxFileSizeBytes: 1024 * MiB,
  maxOutputBytes: 1 * MiB,
  maxTotalOutputBytes: 256 * MiB,
  tmpfsSizeBytes: 512 * MiB,
  maxMemoryBytes: 4096 * MiB,
});

// bwrap, its pid-1 reaper, the launch shell and the command itself need a few slots.
const MIN_PROCESSES = 8;

/** Fills in defaults and refuses limits that would make every command fail. */
export function resolveSandboxLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new UserError(`Sandbox limit ${name} must be a positive integer, got ${value}.`);
    }
  }
  if (limits.maxProcesses < MIN_PROCESSES) {
    throw new UserError(`Sandbox limit maxProcesses must be at least ${MIN_PROCESSES}.`);
  }
  if (limits.maxMemoryBytes < 64 * MiB) {
    throw new UserError('Sandbox limit maxMemoryBytes must be at least 64 MiB.');
  }
  if (limits.maxOutputBytes < 1024) {
    throw new UserError('Sandbox limit maxOutputBytes must be at least 1024.');
  }
  return Object.freeze(limits);
}

/** The operator's override of the memory limit, in MiB: the same for the App, the Action and the CLI. */
const MEMORY_LIMIT_ENV = 'PATCHLING_SANDBOX_MEMORY_MB';

/** Limits the operator set through the environment (only the memory limit so far). */
export function sandboxLimitsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Partial<SandboxLimits> {
  const text = env[MEMORY_LIMIT_ENV]?.trim();
  if (text === undefined || text === '') return {};
  if (!/^\d+$/.test(text)) {
    throw new UserError(
      `${MEMORY_LIMIT_ENV} must be a whole number of MiB, got ${JSON.stringify(text)}.`,
    );
  }
  return { maxMemoryBytes: Number(text) * MiB };
}
