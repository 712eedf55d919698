/**
 * Scoring a scan against the vulnerabilities a fixture holds. A reported finding matches
 * an expected one with the same CWE, the same file, and line ranges that overlap once the
 * reported one is widened by LINE_TOLERANCE on each side. Each is matched at most once.
 */
import type { ExpectedVulnerability } from './fixtures.js';

export const LINE_TOLERANCE = 2;

export interface ReportedVulnerability {
  readonly cwe: string;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
}

export interface ScanScore {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

export function scoreScan(
  expected: readonly ExpectedVulnerability[],
  reported: readonly ReportedVulnerability[],
): ScanScore {
  const used = new Set<number>();
  let truePositives = 0;
  for (const want of expected) {
    const index = reported.findIndex(
      (got, i) =>
        !used.has(i) &&
        got.cwe === want.cwe &&
        got.path === want.path &&
        got.startLine - LINE_TOLERANCE <= want.lines[1] &&
        want.lines[0] <= got.endLine + LINE_TOLERANCE,
    );
    if (index >= 0) {
      used.add(index);
      truePositives++;
    }
  }
  return {
    truePositives,
    falsePositives: reported.length - truePositives,
    falseNegatives: expected.length - truePositives,
  };
}

export interface ScanTotals extends ScanScore {
  readonly precision: number;
  readonly recall: number;
  readonly cleanFixtures: number;
  readonly cleanWithZeroFindings: number;
}

export function totalScanScore(
  results: readonly {
    readonly clean: boolean;
    readonly reported: number;
    readonly score: ScanScore;
  }[],
): ScanTotals {
  const sum = (pick: (score: ScanScore) => number) =>
    results.reduce((n, r) => n + pick(r.score), 0);
  const tp = sum((s) => s.truePositives);
  const fp = sum((s) => s.falsePositives);
  const fn = sum((s) => s.falseNegatives);
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    cleanFixtures: results.filter((r) => r.clean).length,
    cleanWithZeroFindings: results.filter((r) => r.clean && r.reported === 0).length,
  };
}
