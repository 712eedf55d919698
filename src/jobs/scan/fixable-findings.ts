import type { ScanFinding } from './scan-finding.js';
import { SEVERITY_RANK, type Severity } from './scan-output.js';

/**
 * Fix attempts one scan makes at most. Each is a full agent run with the tests and the
 * reproduction run again after it, and each opens a pull request a maintainer must read:
 * a scan of a neglected repository must not spend its budget, or their attention, on a
 * dozen at once. The most severe go first; the next scan takes the rest (they stay new
 * until code scanning has them, and the branch check stops repeats after that).
 */
export const MAX_FIX_ATTEMPTS_PER_SCAN = 3;

export interface FixSelection {
  readonly chosen: readonly ScanFinding[];
  /** Findings that qualified but were left for a later scan, and why. */
  readonly deferred: readonly { readonly finding: ScanFinding; readonly reason: string }[];
}

/**
 * The findings a scan tries to fix: new ones (not still present, not dismissed on
 * GitHub), reproduced (Patchling's own re-run of the reproduction exited 0, so there is a
 * test the fix must turn), at least `fixAt` severe; most severe, then most confident,
 * first, at most `limit`.
 */
export function selectFixableFindings(
  newFindings: readonly ScanFinding[],
  fixAt: Severity,
  limit: number = MAX_FIX_ATTEMPTS_PER_SCAN,
): FixSelection {
  const qualifying = newFindings
    .filter(
      (finding) =>
        finding.proof.status === 'reproduced' &&
        finding.proof.reproduction !== undefined &&
        SEVERITY_RANK[finding.severity] <= SEVERITY_RANK[fixAt],
    )
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.confidence - a.confidence,
    );
  return {
    chosen: qualifying.slice(0, limit),
    deferred: qualifying.slice(limit).map((finding) => ({
      finding,
      reason: `at most ${limit} fixes are attempted per scan`,
    })),
  };
}
