import { readFile, stat } from 'node:fs/promises';
import { resolveWorkspacePath } from '../../workspace/resolve-workspace-path.js';
import type { Candidate } from './scan-output.js';

/** Files larger than this are not read to check a citation. */
const MAX_CITED_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Patchling's own check of what a candidate cites, before any model time is spent on
 * proving it: the file is inside the checkout (the path guard), the lines exist, and the
 * quoted evidence is on them (whitespace aside). Returns why not, or undefined.
 */
export async function checkCitation(
  workspace: string,
  candidate: Candidate,
): Promise<string | undefined> {
  let file: string;
  try {
    file = await resolveWorkspacePath(workspace, candidate.path);
  } catch (error) {
    return `cited path refused: ${error instanceof Error ? error.message : String(error)}`;
  }
  let text: string;
  try {
    // A regular file only: a FIFO or a device would block the read or never end.
    if (!(await stat(file)).isFile()) return `cited path ${candidate.path} is not a file`;
    const buffer = await readFile(file);
    if (buffer.length > MAX_CITED_FILE_BYTES)
      return `cited file ${candidate.path} is too large to check`;
    text = buffer.toString('utf8');
  } catch {
    return `cited file ${candidate.path} does not exist`;
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (text.endsWith('\n')) lines.pop();
  if (candidate.end_line < candidate.start_line) {
    return `cited lines ${candidate.start_line}-${candidate.end_line} are reversed`;
  }
  if (candidate.end_line > lines.length) {
    return `cited lines ${candidate.start_line}-${candidate.end_line} are past the end of ${candidate.path} (${lines.length} lines)`;
  }
  const cited = squash(lines.slice(candidate.start_line - 1, candidate.end_line).join('\n'));
  const evidence = squash(candidate.evidence);
  if (evidence === '' || !cited.includes(evidence)) {
    return `the quoted evidence is not on ${candidate.path}:${candidate.start_line}-${candidate.end_line}`;
  }
  return undefined;
}

/** Whitespace does not count: models re-indent and re-wrap what they quote. */
function squash(text: string): string {
  return text.replace(/\s+/g, '');
}
