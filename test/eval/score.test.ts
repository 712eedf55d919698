import { describe, expect, it } from 'vitest';
import {
  findingMatches,
  LINE_TOLERANCE,
  normalizePath,
  scoreFindings,
  totalScore,
  type ExpectedFinding,
  type ReportedFinding,
} from '../../eval/review/score.js';

const offByOne: ExpectedFinding = {
  path: 'src/upload.ts',
  lines: [14, 14],
  keywords: ['off-by-one', 'last'],
};

function reported(overrides: Partial<ReportedFinding> = {}): ReportedFinding {
  return {
    path: 'src/upload.ts',
    start_line: 14,
    end_line: 14,
    title: 'Off-by-one in chunk()',
    explanation: 'The loop stops early.',
    ...overrides,
  };
}

describe('findingMatches', () => {
  it('matches the same path, overlapping lines and a keyword', () => {
    expect(findingMatches(offByOne, reported())).toBe(true);
  });

  it('needs the same path, spelled either way', () => {
    expect(findingMatches(offByOne, reported({ path: 'src/storage.ts' }))).toBe(false);
    expect(findingMatches(offByOne, reported({ path: './src//upload.ts' }))).toBe(true);
  });

  it(`forgives a range up to ${LINE_TOLERANCE} lines away, not more`, () => {
    expect(LINE_TOLERANCE).toBe(2);
    expect(findingMatches(offByOne, reported({ start_line: 16, end_line: 18 }))).toBe(true);
    expect(findingMatches(offByOne, reported({ start_line: 17, end_line: 18 }))).toBe(false);
    expect(findingMatches(offByOne, reported({ start_line: 10, end_line: 12 }))).toBe(true);
    expect(findingMatches(offByOne, reported({ start_line: 5, end_line: 11 }))).toBe(false);
    // A wide range around the bug overlaps it.
    expect(findingMatches(offByOne, reported({ start_line: 1, end_line: 30 }))).toBe(true);
  });

  it('takes the tolerance as an option, and reads a reversed range as its lines', () => {
    const nextLine = reported({ start_line: 15, end_line: 15 });
    expect(findingMatches(offByOne, nextLine)).toBe(true);
    expect(findingMatches(offByOne, nextLine, { lineTolerance: 0 })).toBe(false);
    expect(findingMatches(offByOne, reported({ start_line: 15, end_line: 13 }))).toBe(true);
  });

  it('needs a keyword, case-insensitive, in the title or the explanation', () => {
    expect(findingMatches(offByOne, reported({ title: 'OFF-BY-ONE here' }))).toBe(true);
    expect(
      findingMatches(
        offByOne,
        reported({ title: 'Loop bound is wrong', explanation: 'The LAST record is dropped.' }),
      ),
    ).toBe(true);
    expect(
      findingMatches(
        offByOne,
        reported({ title: 'Loop bound is wrong', explanation: 'Records go missing.' }),
      ),
    ).toBe(false);
  });

  it('ignores an empty keyword rather than matching everything', () => {
    const blank: ExpectedFinding = { ...offByOne, keywords: [' '] };
    expect(findingMatches(blank, reported())).toBe(false);
  });
});

describe('scoreFindings', () => {
  it('counts a match as a true positive', () => {
    expect(scoreFindings([offByOne], [reported()])).toEqual({
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 0,
      matches: [{ expected: 0, reported: 0 }],
      missed: [],
      unmatched: [],
    });
  });

  it('counts a finding in the wrong place as a false positive and a false negative', () => {
    const score = scoreFindings([offByOne], [reported({ start_line: 25, end_line: 26 })]);
    expect(score).toMatchObject({ truePositives: 0, falsePositives: 1, falseNegatives: 1 });
    expect(score.missed).toEqual([0]);
    expect(score.unmatched).toEqual([0]);
  });

  it('matches an expected finding at most once: a second report of it is a false positive', () => {
    const score = scoreFindings([offByOne], [reported(), reported({ title: 'Off-by-one again' })]);
    expect(score).toMatchObject({ truePositives: 1, falsePositives: 1, falseNegatives: 0 });
    expect(score.matches).toEqual([{ expected: 0, reported: 0 }]);
  });

  it('matches a reported finding at most once: one report of two bugs finds one', () => {
    const nearby: ExpectedFinding = { ...offByOne, lines: [15, 15] };
    const score = scoreFindings([offByOne, nearby], [reported()]);
    expect(score).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 1 });
  });

  it('finds the most pairs, whatever the order of the findings', () => {
    // The first report fits both bugs, the second only the first bug: taking the first
    // report for the first bug, as a greedy pass would, loses the second bug.
    const first: ExpectedFinding = { path: 'a.ts', lines: [10, 10], keywords: ['race'] };
    const second: ExpectedFinding = { path: 'a.ts', lines: [14, 14], keywords: ['race'] };
    const both = reported({ path: 'a.ts', start_line: 12, end_line: 12, title: 'Race' });
    const firstOnly = reported({ path: 'a.ts', start_line: 9, end_line: 9, title: 'Race' });
    const score = scoreFindings([first, second], [both, firstOnly]);
    expect(score).toMatchObject({ truePositives: 2, falsePositives: 0, falseNegatives: 0 });
    expect(score.matches).toEqual([
      { expected: 0, reported: 1 },
      { expected: 1, reported: 0 },
    ]);
  });

  it('scores a clean pull request: any finding is a false positive', () => {
    expect(scoreFindings([], [])).toMatchObject({
      truePositives: 0,
      falsePositives: 0,
      falseNegatives: 0,
    });
    expect(scoreFindings([], [reported()])).toMatchObject({ falsePositives: 1 });
  });
});

describe('totalScore', () => {
  const fixture = (clean: boolean, tp: number, fp: number, fn: number) => ({
    clean,
    reported: tp + fp,
    score: { truePositives: tp, falsePositives: fp, falseNegatives: fn },
  });

  it('sums the counts and derives precision, recall and F1', () => {
    const totals = totalScore([
      fixture(false, 1, 0, 0),
      fixture(false, 1, 1, 0),
      fixture(false, 0, 0, 1),
      fixture(true, 0, 0, 0),
      fixture(true, 0, 1, 0),
    ]);
    expect(totals).toMatchObject({
      fixtures: 5,
      truePositives: 2,
      falsePositives: 2,
      falseNegatives: 1,
      cleanFixtures: 2,
      cleanWithZeroFindings: 1,
    });
    expect(totals.precision).toBeCloseTo(0.5);
    expect(totals.recall).toBeCloseTo(2 / 3);
    expect(totals.f1).toBeCloseTo(4 / 7);
  });

  it('leaves undefined ratios null, and F1 0 when nothing was found', () => {
    expect(totalScore([])).toMatchObject({ precision: null, recall: null, f1: null });
    expect(totalScore([fixture(true, 0, 0, 0)])).toMatchObject({
      precision: null,
      recall: null,
      cleanWithZeroFindings: 1,
    });
    expect(totalScore([fixture(false, 0, 0, 2)])).toMatchObject({
      precision: null,
      recall: 0,
      f1: 0,
    });
    expect(totalScore([fixture(false, 0, 1, 1)])).toMatchObject({
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });
});

describe('normalizePath', () => {
  it('drops ./ and empty segments and uses forward slashes', () => {
    expect(normalizePath('./src//a.ts')).toBe('src/a.ts');
    expect(normalizePath('src\\a.ts')).toBe('src/a.ts');
  });
});
