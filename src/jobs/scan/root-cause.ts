import { createHash } from 'node:crypto';
import { SEVERITY_RANK, type Candidate } from './scan-output.js';

/**
 * The root cause as words: lower case, punctuation, numbers and "line 12" gone (a root
 * cause that names a line would otherwise change when the line moves).
 */
function normalizeRootCause(text: string): string {
  return text
    .toLowerCase()
    .replace(/\blines?\s*\d+(?:\s*[-–]\s*\d+)?/g, ' ')
    .replace(/[^a-z_]+/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

/**
 * The identity of a weakness across scans: its CWE, its file and its root cause. Lines
 * are left out on purpose, so an edit above it does not make it a new finding; two
 * findings with one root cause in one file are one finding.
 */
export function rootCauseFingerprint(finding: {
  readonly cwe: string;
  readonly path: string;
  readonly root_cause: string;
}): string {
  return createHash('sha256')
    .update(`${finding.cwe}\n${finding.path}\n${normalizeRootCause(finding.root_cause)}`)
    .digest('hex')
    .slice(0, 16);
}

export interface MergedCandidate {
  readonly candidate: Candidate;
  readonly fingerprint: string;
  /** Where the merged duplicates pointed, other than the kept candidate's own lines. */
  readonly related: readonly { readonly path: string; readonly line: number }[];
}

/**
 * Near-duplicates merged: candidates with the same CWE in the same file that share a root
 * cause or overlapping lines are one weakness (batches and models repeat themselves).
 * The most severe, then most confident, stands for the group; the others' lines become
 * related locations.
 */
export function mergeByRootCause(candidates: readonly Candidate[]): MergedCandidate[] {
  const groups: Candidate[][] = [];
  for (const candidate of candidates) {
    const group = groups.find((members) =>
      members.some((member) => sameWeakness(member, candidate)),
    );
    if (group) group.push(candidate);
    else groups.push([candidate]);
  }
  return groups.map((members) => {
    const [best, ...others] = [...members].sort(
      (a, b) => severityOrder(a) - severityOrder(b) || b.confidence - a.confidence,
    );
    if (best === undefined) throw new Error('empty group');
    const related = others
      .filter((other) => other.start_line !== best.start_line || other.path !== best.path)
      .map((other) => ({ path: other.path, line: other.start_line }));
    return { candidate: best, fingerprint: rootCauseFingerprint(best), related };
  });
}

function sameWeakness(a: Candidate, b: Candidate): boolean {
  if (a.cwe !== b.cwe || a.path !== b.path) return false;
  if (normalizeRootCause(a.root_cause) === normalizeRootCause(b.root_cause)) return true;
  return a.start_line <= b.end_line && b.start_line <= a.end_line;
}

function severityOrder(candidate: Candidate): number {
  return SEVERITY_RANK[candidate.severity];
}
