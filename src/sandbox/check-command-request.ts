import { realpath } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { isInside } from '../workspace/resolve-workspace-path.js';
import type { CommandRequest } from './types.js';

/**
 * Refuses malformed requests and a cwd outside the workspace; returns the real cwd.
 * Tools resolve model paths first; this is the sandbox's own guard, not the only one.
 */
export async function checkCommandRequest(
  workspace: string,
  request: CommandRequest,
): Promise<string> {
  if (request.argv.length === 0 || request.argv[0] === '') {
    throw new UserError('The command is empty.');
  }
  if (request.argv.some((arg) => arg.includes('\0'))) {
    throw new UserError('The command contains a NUL byte.');
  }
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) {
    throw new UserError(`The command timeout must be a positive number, got ${request.timeoutMs}.`);
  }
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || value.includes('\0')) {
      throw new UserError(`Invalid environment variable ${JSON.stringify(name)}.`);
    }
  }
  const cwd = await realpath(request.cwd).catch(() => {
    throw new UserError(`The working directory ${request.cwd} does not exist.`);
  });
  if (!isInside(workspace, cwd)) {
    throw new UserError(`The working directory ${request.cwd} is outside the workspace.`);
  }
  return cwd;
}
