/**
 * Scoring of a review against the bugs a fixture is known to hold. Pure: no I/O, no
 * clock, the same input gives the same answer.
 *
 * A reported finding matches an expected one when all three hold:
 * - the same path (after `./` and doubled slashes are dropped);
 * - the line ranges overlap once the reported range is widened by `lineTolerance` lines
 *   on each side (default LINE_TOLERANCE): a model pointing at the line next to the bug
 *   found the bug, one pointing at another function did not;
 * - at least one of the expected keywords occurs, case-insensitively, in the finding's
 *   title or explanation: the finding names the bug, not just its place.
 *
 * Each expected finding is matched to at most one reported finding and the other way
 * round, as many pairs as possible (a maximum bipartite matching, so the order of the
 * findings never costs a match). Unmatched reported findings are false positives,
 * unmatched expected ones false negatives.
 */

/** Lines a reported range may be off by, on each side, and still match. */
export const LINE_TOLERANCE = 2;

export interface ExpectedFinding {
  readonly path: string;
  /** 1-based, inclusive, on the new side (the head). */
  readonly lines: readonly [number, number];
  /** Any one of them, case-insensitive, in the title or the explanation. */
  readonly keywords: readonly string[];
}

/** The part of a review finding the score reads. */
export interface ReportedFinding {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly title: string;
  readonly explanation: string;
}

export interface ScoreOptions {
  readonly lineTolerance?: number;
}

export interface FixtureScore {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** Index pairs into the expected and reported lists, by expected index. */
  readonly matches: readonly { readonly expected: number; readonly reported: number }[];
  /** Indexes into the expected list. */
  readonly missed: readonly number[];
  /** Indexes into the reported list. */
  readonly unmatched: readonly number[];
}

/** Whether `reported` is a report of `expected` (path, lines within tolerance, keyword). */
export function findingMatches(
  expected: ExpectedFinding,
  reported: ReportedFinding,
  options: ScoreOptions = {},
): boolean {
  const tolerance = options.lineTolerance ?? LINE_TOLERANCE;
  if (normalizePath(expected.path) !== normalizePath(reported.path)) return false;
  const [expectedStart, expectedEnd] = ordered(expected.lines[0], expected.lines[1]);
  const [reportedStart, reportedEnd] = ordered(reported.start_line, reported.end_line);
  if (reportedStart - tolerance > expectedEnd || expectedStart > reportedEnd + tolerance) {
    return false;
  }
  const text = `${reported.title}\n${reported.explanation}`.toLowerCase();
  return expected.keywords.some((keyword) => {
    const needle = keyword.trim().toLowerCase();
    return needle !== '' && text.includes(needle);
  });
}

/** The score of one fixture: the most pairs of matching findings, and what is left over. */
export function scoreFindings(
  expected: readonly ExpectedFinding[],
  reported: readonly ReportedFinding[],
  options: ScoreOptions = {},
): FixtureScore {
  const candidates = expected.map((want) =>
    reported.flatMap((got, index) => (findingMatches(want, got, options) ? [index] : [])),
  );
  // Kuhn's augmenting paths: the lists are a handful long, so the simple way is enough.
  const ownerOf = new Map<number, number>();
  const tryAssign = (want: number, seen: Set<number>): boolean => {
    for (const got of candidates[want] ?? []) {
      if (seen.has(got)) continue;
      seen.add(got);
      const owner = ownerOf.get(got);
      if (owner === undefined || tryAssign(owner, seen)) {
        ownerOf.set(got, want);
        return true;
      }
    }
    return false;
  };
  expected.forEach((_, want) => tryAssign(want, new Set()));

  const matches = [...ownerOf.entries()]
    .map(([got, want]) => ({ expected: want, reported: got }))
    .sort((a, b) => a.expected - b.expected);
  const matchedExpected = new Set(matches.map((match) => match.expected));
  const matchedReported = new Set(matches.map((match) => match.reported));
  const missed = expected.map((_, index) => index).filter((index) => !matchedExpected.has(index));
  const unmatched = reported
    .map((_, index) => index)
    .filter((index) => !matchedReported.has(index));
  return {
    truePositives: matches.length,
    falsePositives: unmatched.length,
    falseNegatives: missed.length,
    matches,
    missed,
    unmatched,
  };
}

export interface ScoredFixture {
  /** The fixture expects no findings (a clean pull request). */
  readonly clean: boolean;
  /** How many findings the review reported (after the pipeline's filters). */
  readonly reported: number;
  readonly score: Pick<FixtureScore, 'truePositives' | 'falsePositives' | 'falseNegatives'>;
}

export interface Totals {
  readonly fixtures: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** TP / (TP + FP); null when nothing was reported. */
  readonly precision: number | null;
  /** TP / (TP + FN); null when nothing was expected. */
  readonly recall: number | null;
  /** 2TP / (2TP + FP + FN), the harmonic mean of the two; null when all three are 0. */
  readonly f1: number | null;
  readonly cleanFixtures: number;
  /** Clean fixtures whose review reported nothing. */
  readonly cleanWithZeroFindings: number;
}

/** Sums over the fixtures (micro-averaged: every finding counts the same). */
export function totalScore(fixtures: readonly ScoredFixture[]): Totals {
  const sum = (pick: (fixture: ScoredFixture) => number) =>
    fixtures.reduce((total, fixture) => total + pick(fixture), 0);
  const truePositives = sum((fixture) => fixture.score.truePositives);
  const falsePositives = sum((fixture) => fixture.score.falsePositives);
  const falseNegatives = sum((fixture) => fixture.score.falseNegatives);
  const precision = ratio(truePositives, truePositives + falsePositives);
  const recall = ratio(truePositives, truePositives + falseNegatives);
  // 2TP / (2TP + FP + FN): the harmonic mean of the two where both exist, and 0 (not
  // undefined) for a reviewer that reported nothing on pull requests with bugs.
  const f1 = ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives);
  const clean = fixtures.filter((fixture) => fixture.clean);
  return {
    fixtures: fixtures.length,
    truePositives,
    falsePositives,
    falseNegatives,
    precision,
    recall,
    f1,
    cleanFixtures: clean.length,
    cleanWithZeroFindings: clean.filter((fixture) => fixture.reported === 0).length,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function ordered(a: number, b: number): [number, number] {
  return a <= b ? [a, b] : [b, a];
}

/** `./src//a.ts` → `src/a.ts`, as the diff spells paths. */
export function normalizePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}
