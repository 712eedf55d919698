import { GitPluginError } from 'simple-git';
import { PatchlingError, SystemError, UserError } from '../../errors.js';
import type { SecretRedactor } from '../../util/redact-secrets.js';

const MAX_GIT_MESSAGE = 2_000;

const AUTH_FAILED =
  /Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|HTTP 40[13]|Permission to .* denied|Invalid username or password/i;
const NOT_FOUND =
  /repository '.*' not found|returned error: 404|HTTP 404|couldn't find remote ref|not our ref|unadvertised object|no such remote ref|invalid refspec|bad revision|unknown revision|not a valid object name|does not appear to be a git repository/i;
const REJECTED =
  /\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|pre-receive hook declined|protected branch/i;
const TRANSIENT =
  /Could not resolve host|Connection refused|Connection reset|Connection timed out|Operation timed out|early EOF|RPC failed|returned error: 5\d\d|HTTP 5\d\d|unexpected disconnect|remote end hung up|SSL_ERROR|gnutls_handshake|Failed to connect/i;

/**
 * Turns whatever a git command threw into a Patchling error with git's own message, after
 * every known secret is redacted from it. The cause is a redacted copy, never the
 * original, so logging `error.cause` cannot leak either.
 */
export function toGitFailure(
  error: unknown,
  action: string,
  redactor: SecretRedactor,
): PatchlingError {
  // Patchling's own checks inside a git step already say what went wrong.
  if (error instanceof PatchlingError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const gitMessage = summarize(redactor.redact(raw));
  const cause = new Error(redactor.redact(raw));
  cause.name = error instanceof Error ? error.name : 'Error';
  const said = gitMessage ? ` git said: ${gitMessage}` : '';

  if (error instanceof GitPluginError && error.plugin === 'abort') {
    return new SystemError(`${action} was cancelled.`, { cause });
  }
  if (error instanceof GitPluginError && error.plugin === 'timeout') {
    return new SystemError(`${action} stalled: git produced no output for too long.`, {
      cause,
      retryable: true,
    });
  }
  if (error instanceof GitPluginError && error.plugin === 'unsafe') {
    return new SystemError(`${action}: simple-git refused the command.${said}`, { cause });
  }
  if (AUTH_FAILED.test(raw)) {
    return new UserError(
      `${action} failed: the remote refused the credentials. Check that the token is valid and may access this repository.${said}`,
      { cause },
    );
  }
  if (REJECTED.test(raw)) {
    return new UserError(`${action} failed: the remote rejected the update.${said}`, { cause });
  }
  if (NOT_FOUND.test(raw)) {
    return new UserError(`${action} failed: the repository or revision was not found.${said}`, {
      cause,
    });
  }
  if (TRANSIENT.test(raw)) {
    return new SystemError(`${action} failed: the remote could not be reached.${said}`, {
      cause,
      retryable: true,
    });
  }
  return new SystemError(`${action} failed.${said}`, { cause });
}

// Progress meters ("Receiving objects:  50% (1/2)", "remote: Total 3 (delta 0)") and hints.
const NOISE =
  /^(hint:|(remote: )?(Enumerating objects|Total \d+)|(remote: )?[A-Za-z ]+: +\d+% \(\d+\/\d+\))/;

/** git's message without progress lines, hints and blank lines, capped in length. */
function summarize(message: string): string {
  const text = message
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !NOISE.test(line))
    .join('\n');
  return text.length > MAX_GIT_MESSAGE ? `…${text.slice(-MAX_GIT_MESSAGE)}` : text;
}
