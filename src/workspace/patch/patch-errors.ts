import { SystemError, UserError } from '../../errors.js';

/**
 * The patch text does not follow the format. `line` is 1-based in the text as sent, so the
 * model can find the spot; the message already says "line N".
 */
export class PatchParseError extends UserError {
  readonly line: number;

  constructor(message: string, line: number) {
    super(`Invalid patch, line ${line}: ${message}`);
    this.line = line;
  }
}

/**
 * The patch is well formed but cannot be applied to these files (lines not found, a path
 * outside the workspace, a file that already exists...). Raised before anything is written.
 */
export class PatchApplyError extends UserError {
  /** 1-based index of the failing hunk. */
  readonly hunk: number;
  /** The hunk's path as written in the patch. */
  readonly path: string;

  constructor(message: string, details: { hunk: number; path: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.hunk = details.hunk;
    this.path = details.path;
  }
}

/**
 * Writing failed midway (disk full, permissions, a path that turned into a directory).
 * A fault of the environment, not of the patch. `rolledBack` says whether every file was
 * restored; when false the message lists the files left as they are.
 */
export class PatchWriteError extends SystemError {
  readonly rolledBack: boolean;

  constructor(message: string, options: { cause: unknown; rolledBack: boolean }) {
    super(message, { cause: options.cause, retryable: false });
    this.rolledBack = options.rolledBack;
  }
}
