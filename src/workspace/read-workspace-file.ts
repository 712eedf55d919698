import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import {
  WorkspacePathError,
  isInside,
  isMissing,
  resolveWorkspacePath,
} from './resolve-workspace-path.js';

/** Files Patchling reads for itself (config, .gitattributes, AGENTS.md) are small. */
const DEFAULT_WORKSPACE_READ_LIMIT = 1024 * 1024;

export interface ReadWorkspaceFileOptions {
  /** A larger file is refused, not read. Default 1 MiB. */
  readonly maxBytes?: number;
}

/**
 * Reads a file Patchling itself needs from a workspace (`.github/patchling.yml`,
 * `.gitattributes`, AGENTS.md, package.json) the way an untrusted checkout demands: through
 * the path guard (no `..`, no symlink out of the workspace), a regular file only, opened
 * non-blocking (a FIFO cannot hang the reader: it is refused after fstat, never read) and
 * without following a last symlink swapped in meanwhile, and at most `maxBytes`.
 * Returns undefined when the file does not exist. Errors name the path, never the content.
 */
export async function readWorkspaceFile(
  workspace: string,
  relativePath: string,
  options: ReadWorkspaceFileOptions = {},
): Promise<string | undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_WORKSPACE_READ_LIMIT;
  const shown = JSON.stringify(relativePath);
  const resolved = await resolveWorkspacePath(workspace, relativePath);
  let real: string;
  try {
    real = await realpath(resolved);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  if (!isInside(await realpath(workspace), real)) {
    throw new WorkspacePathError(`${shown} leads outside the workspace.`);
  }
  const handle = await open(
    real,
    constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY,
  ).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw new WorkspacePathError(
      `${shown} in the workspace cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  });
  if (handle === undefined) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new WorkspacePathError(`${shown} in the workspace is not a regular file.`);
    }
    if (info.size > maxBytes) {
      throw new WorkspacePathError(
        `${shown} in the workspace is ${info.size} bytes, over the ${maxBytes}-byte limit.`,
      );
    }
    // Read at most one byte past the limit: a file that grew since fstat is refused too.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) {
        throw new WorkspacePathError(
          `${shown} in the workspace is over the ${maxBytes}-byte limit.`,
        );
      }
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}
