import { findingFingerprint, type PreviousReviewState } from '../../github/post-review.js';
import { readWorkspaceFile } from '../../workspace/read-workspace-file.js';

/** Files larger than this are not read for fingerprints (the title stands in). */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Reads files of the reviewed checkout for fingerprints, each once, with readWorkspaceFile
 * (the path guard, regular files only, never blocking on a FIFO the pull request planted,
 * capped).
 */
export function createFileLines(
  workspace: string,
): (path: string) => Promise<string[] | undefined> {
  const cache = new Map<string, Promise<string[] | undefined>>();
  return (file) => {
    let lines = cache.get(file);
    if (lines === undefined) {
      lines = readLines(workspace, file);
      cache.set(file, lines);
    }
    return lines;
  };
}

async function readLines(workspace: string, file: string): Promise<string[] | undefined> {
  try {
    const text = await readWorkspaceFile(workspace, file, { maxBytes: MAX_FILE_BYTES });
    return text?.split(/\r?\n/);
  } catch {
    // Outside the workspace, not a regular file, too large: the title stands in.
    return undefined;
  }
}

/** The text of lines start..end (1-based, inclusive), if the file has them. */
export async function codeOf(
  lines: (path: string) => Promise<string[] | undefined>,
  finding: { readonly path: string; readonly start_line: number; readonly end_line: number },
): Promise<string | undefined> {
  const text = await lines(finding.path);
  if (text === undefined || finding.end_line > text.length || finding.start_line < 1)
    return undefined;
  return text.slice(finding.start_line - 1, finding.end_line).join('\n');
}

/**
 * The fingerprints Patchling posted before on `paths` (files a push rewrote) whose code is
 * still in the new version of the file: the same kind of problem over the same code,
 * wherever it moved. A thread missing from this set had its lines rewritten. Fingerprints
 * of titles (written before code fingerprints) cannot be checked, so they count as present.
 */
export async function stillInCode(
  previous: PreviousReviewState,
  paths: ReadonlySet<string>,
  lines: (path: string) => Promise<string[] | undefined>,
): Promise<Set<string>> {
  const present = new Set<string>();
  for (const [fingerprint, refs] of previous.postedFingerprints) {
    for (const ref of refs) {
      if (!paths.has(ref.path)) continue;
      if (ref.kind === undefined || ref.lines === undefined) {
        present.add(fingerprint);
        continue;
      }
      const text = await lines(ref.path);
      if (text === undefined) {
        present.add(fingerprint);
        continue;
      }
      for (let start = 0; start + ref.lines <= text.length; start++) {
        const code = text.slice(start, start + ref.lines).join('\n');
        if (
          findingFingerprint({ path: ref.path, title: '', kind: ref.kind, code }) === fingerprint
        ) {
          present.add(fingerprint);
          break;
        }
      }
    }
  }
  return present;
}
