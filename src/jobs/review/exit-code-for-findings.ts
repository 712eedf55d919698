import { PRIORITY_RANK } from './finding.js';
import type { Finding, Priority } from './finding.js';

/**
 * The exit code of `patchling review --fail-on <priority>`: 1 when any finding is at
 * least that severe (P0 is the most severe), else 0. Without failOn, always 0.
 */
export function exitCodeForFindings(
  findings: readonly Finding[],
  failOn: Priority | undefined,
): 0 | 1 {
  if (failOn === undefined) return 0;
  const threshold = PRIORITY_RANK[failOn];
  return findings.some((finding) => PRIORITY_RANK[finding.priority] <= threshold) ? 1 : 0;
}
