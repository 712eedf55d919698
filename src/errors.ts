/**
 * The error hierarchy. Three families, because they are reported differently:
 * - UserError: bad input or configuration from whoever started Patchling. Fix the input.
 * - SystemError: a fault of Patchling's environment or of a provider. Maybe retry.
 * - ModelBehaviorError: the model did something it should not have. Tell the model or give up.
 * Every error carries `retryable`, so the one retry policy can decide without guessing.
 */
export abstract class PatchlingError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration or input: a clear message, never retried. */
export class UserError extends PatchlingError {
  readonly retryable = false;
}

/** A fault outside the user's control: the environment, a provider, a dependency. */
export class SystemError extends PatchlingError {
  readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** The model broke a contract (garbage output, a schema it would not follow). */
export class ModelBehaviorError extends PatchlingError {
  readonly retryable = false;
}

/** Turns anything thrown into a one-sentence message fit for a user. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Why a job's signal was aborted, for its final progress: the reason's message when it has one. */
export function describeAbort(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'The job was stopped.';
}
