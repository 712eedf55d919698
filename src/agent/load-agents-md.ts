import path from 'node:path';
import { readWorkspaceFile } from '../workspace/read-workspace-file.js';
import { isInside } from '../workspace/resolve-workspace-path.js';

export const AGENTS_MD_LIMIT_BYTES = 32 * 1024;
// Only the first 32 KiB reach the prompt; a file far larger is not an instruction file.
const AGENTS_FILE_READ_LIMIT = 1024 * 1024;

export interface AgentsInstructions {
  /** The files' contents, each under a heading naming it; empty when there are none. */
  readonly text: string;
  readonly files: readonly string[];
  readonly truncated: boolean;
}

/**
 * The repository's AGENTS.md files from the root down to the working directory. In each
 * directory AGENTS.override.md, when present, replaces AGENTS.md. Deeper files come later,
 * so their word is last. Read through the workspace path guard: an AGENTS.md that is a
 * symlink to a host file must not put that file in front of the model.
 */
export async function loadAgentsInstructions(
  workspace: string,
  cwd: string,
  limitBytes = AGENTS_MD_LIMIT_BYTES,
): Promise<AgentsInstructions> {
  const root = path.resolve(workspace);
  const target = path.resolve(cwd);
  const relative = isInside(root, target) ? path.relative(root, target) : '';
  const dirs = [
    '',
    ...relative
      .split(path.sep)
      .filter(Boolean)
      .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
  ];

  const found: { file: string; text: string }[] = [];
  for (const dir of dirs) {
    const content = await readFirst(root, dir, ['AGENTS.override.md', 'AGENTS.md']);
    if (content) found.push(content);
  }
  return formatAgentsInstructions(found, limitBytes);
}

/**
 * AGENTS.md contents as the prompt shows them, wherever they were read from (the
 * checkout, or a pull request's base branch): each under a heading naming it, in order,
 * at most `limitBytes` in all, with the truncation said.
 */
export function formatAgentsInstructions(
  found: readonly { readonly file: string; readonly text: string }[],
  limitBytes = AGENTS_MD_LIMIT_BYTES,
): AgentsInstructions {
  const sections: string[] = [];
  const files: string[] = [];
  let used = 0;
  let truncated = false;
  for (const content of found) {
    const separator = sections.length > 0 ? '\n\n' : '';
    const header = `${separator}# ${content.file}\n\n`;
    const room = limitBytes - used - Buffer.byteLength(header);
    if (room <= 0) {
      truncated = true;
      break;
    }
    let body = content.text.trim();
    if (Buffer.byteLength(body) > room) {
      body = Buffer.from(body)
        .subarray(0, room)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
      truncated = true;
    }
    sections.push(header + body);
    files.push(content.file);
    used += Buffer.byteLength(header + body);
    if (truncated) break;
  }
  let text = sections.join('');
  if (truncated) {
    text += `\n\n[AGENTS.md instructions truncated at ${limitBytes / 1024} KiB]`;
  }
  return { text, files, truncated };
}

async function readFirst(
  root: string,
  dir: string,
  names: readonly string[],
): Promise<{ file: string; text: string } | undefined> {
  for (const name of names) {
    const file = dir ? `${dir}/${name}` : name;
    try {
      const text = await readWorkspaceFile(root, file, { maxBytes: AGENTS_FILE_READ_LIMIT });
      if (text !== undefined) return { file, text };
    } catch {
      // Unreadable, not a regular file, too large, or leading outside the workspace: not an
      // instruction file.
    }
  }
  return undefined;
}
