import { PRIORITY_RANK } from './finding.js';
import type { Finding, Priority } from './finding.js';
import { matchIgnorePaths } from '../../workspace/diff/ignore-paths.js';

/** Below this the model is guessing; such findings cost the author more than they give. */
export const DEFAULT_MIN_CONFIDENCE = 0.3;

export interface FilterOptions {
  /** The least severe priority kept (`review.min_priority`). */
  readonly minPriority: Priority;
  /** At most this many findings are kept (`review.max_comments`). */
  readonly maxComments: number;
  /** Globs of paths whose findings are dropped (`review.ignore_paths`), .gitignore's rules. */
  readonly ignorePaths: readonly string[];
  /** Default DEFAULT_MIN_CONFIDENCE. */
  readonly minConfidence?: number;
}

export interface DroppedFinding {
  readonly finding: Finding;
  readonly reason: string;
}

export interface FilterResult {
  /** Most important first: by priority, then confidence, then the model's order. */
  readonly kept: Finding[];
  /** In the order of the input. */
  readonly dropped: DroppedFinding[];
}

export const OVER_THE_LIMIT = 'over the comment limit';

/**
 * Noise control: what the repository asked not to see, what the model is unsure of, what
 * it said twice, what cannot be placed on a line, and whatever is past the comment limit.
 * Pure and deterministic: the same findings and options give the same answer.
 */
export function filterFindings(findings: readonly Finding[], options: FilterOptions): FilterResult {
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const ignoredBy = matchIgnorePaths(options.ignorePaths);
  const reasons = new Map<number, string>();

  const candidates: number[] = [];
  findings.forEach((finding, index) => {
    const reason = firstRuleBroken(finding, options.minPriority, minConfidence, ignoredBy);
    if (reason === undefined) candidates.push(index);
    else reasons.set(index, reason);
  });

  const ordered = candidates.sort((a, b) => compareFindings(findings, a, b));
  const kept: number[] = [];
  for (const index of ordered) {
    const finding = findings[index] as Finding;
    const earlier = kept.find((other) => isDuplicate(findings[other] as Finding, finding));
    if (earlier !== undefined) reasons.set(index, 'duplicate of another finding');
    else if (kept.length >= Math.max(0, options.maxComments)) reasons.set(index, OVER_THE_LIMIT);
    else kept.push(index);
  }

  return {
    kept: kept.map((index) => findings[index] as Finding),
    dropped: [...reasons.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, reason]) => ({ finding: findings[index] as Finding, reason })),
  };
}

function firstRuleBroken(
  finding: Finding,
  minPriority: Priority,
  minConfidence: number,
  ignoredBy: (path: string) => string | undefined,
): string | undefined {
  if (finding.end_line < finding.start_line) {
    return `invalid line range ${finding.start_line}-${finding.end_line}`;
  }
  if (PRIORITY_RANK[finding.priority] > PRIORITY_RANK[minPriority]) {
    return `${finding.priority} is below the minimum priority ${minPriority}`;
  }
  if (finding.confidence < minConfidence) {
    return `confidence ${finding.confidence} is below ${minConfidence}`;
  }
  const pattern = ignoredBy(normalizeRepoPath(finding.path));
  if (pattern !== undefined) return `the path matches ignore_paths ${JSON.stringify(pattern)}`;
  return undefined;
}

function compareFindings(findings: readonly Finding[], a: number, b: number): number {
  const x = findings[a] as Finding;
  const y = findings[b] as Finding;
  return (
    PRIORITY_RANK[x.priority] - PRIORITY_RANK[y.priority] || y.confidence - x.confidence || a - b
  );
}

function isDuplicate(a: Finding, b: Finding): boolean {
  return (
    normalizeRepoPath(a.path) === normalizeRepoPath(b.path) &&
    a.start_line <= b.end_line &&
    b.start_line <= a.end_line &&
    normalizeTitle(a.title) === normalizeTitle(b.title)
  );
}

/** Case, spacing and trailing punctuation do not make a different finding. */
function normalizeTitle(title: string): string {
  return title
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!:;,\s]+$/, '');
}

/** `./a//b` → `a/b`, as the diff and the ignore patterns spell paths. */
function normalizeRepoPath(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}
