import { describe, expect, it } from 'vitest';
import { filterFindings, OVER_THE_LIMIT } from '../../../src/jobs/review/filter-findings.js';
import type { FilterOptions } from '../../../src/jobs/review/filter-findings.js';
import { makeFinding } from './make-finding.js';

const OPTIONS: FilterOptions = { minPriority: 'P3', maxComments: 10, ignorePaths: [] };

describe('filterFindings: each rule', () => {
  it.each([
    [
      'below the minimum priority',
      makeFinding({ priority: 'P3' }),
      { minPriority: 'P2' },
      'P3 is below the minimum priority P2',
    ],
    [
      'below the default confidence',
      makeFinding({ confidence: 0.29 }),
      {},
      'confidence 0.29 is below 0.3',
    ],
    [
      'below a chosen confidence',
      makeFinding({ confidence: 0.5 }),
      { minConfidence: 0.6 },
      'confidence 0.5 is below 0.6',
    ],
    [
      'an ignored path',
      makeFinding({ path: 'dist/bundle.js' }),
      { ignorePaths: ['**/*.snap', 'dist/**'] },
      'the path matches ignore_paths "dist/**"',
    ],
    [
      'an ignored path spelled with ./',
      makeFinding({ path: './dist/bundle.js' }),
      { ignorePaths: ['dist/**'] },
      'the path matches ignore_paths "dist/**"',
    ],
    [
      'an inverted line range',
      makeFinding({ start_line: 9, end_line: 3 }),
      {},
      'invalid line range 9-3',
    ],
  ] as const)('drops %s', (_name, finding, overrides, reason) => {
    const result = filterFindings([finding], { ...OPTIONS, ...overrides });
    expect(result.kept).toEqual([]);
    expect(result.dropped).toEqual([{ finding, reason }]);
  });

  it('keeps what reaches the minimum priority and confidence exactly', () => {
    const finding = makeFinding({ priority: 'P2', confidence: 0.3 });
    const result = filterFindings([finding], { ...OPTIONS, minPriority: 'P2' });
    expect(result).toEqual({ kept: [finding], dropped: [] });
  });

  it.each([
    ['*.snap', 'test/__snapshots__/a.snap'],
    ['vendor/', 'vendor/lib/x.js'],
    ['/docs', 'docs/guide.md'],
  ])('drops a path %s covers (%s)', (pattern, path) => {
    const finding = makeFinding({ path });
    expect(filterFindings([finding], { ...OPTIONS, ignorePaths: [pattern] }).kept).toEqual([]);
  });

  it('keeps what a later !pattern takes back', () => {
    const finding = makeFinding({ path: 'dist/keep.js' });
    const ignorePaths = ['dist/**', '!dist/keep.js'];
    expect(filterFindings([finding], { ...OPTIONS, ignorePaths }).kept).toEqual([finding]);
  });

  it('keeps paths the globs do not match', () => {
    const finding = makeFinding({ path: 'src/dist.ts' });
    expect(filterFindings([finding], { ...OPTIONS, ignorePaths: ['dist/**'] }).kept).toEqual([
      finding,
    ]);
  });
});

describe('filterFindings: ordering', () => {
  it('sorts by priority, then confidence, then the order given', () => {
    const a = makeFinding({ title: 'a', priority: 'P2', confidence: 0.9 });
    const b = makeFinding({ title: 'b', priority: 'P0', confidence: 0.4 });
    const c = makeFinding({ title: 'c', priority: 'P2', confidence: 0.95 });
    const d = makeFinding({ title: 'd', priority: 'P1', confidence: 0.8 });
    const e = makeFinding({ title: 'e', priority: 'P2', confidence: 0.9 });
    const result = filterFindings([a, b, c, d, e], OPTIONS);
    expect(result.kept.map((f) => f.title)).toEqual(['b', 'd', 'c', 'a', 'e']);
  });

  it('gives the same answer for the same input', () => {
    const findings = Array.from({ length: 20 }, (_, i) =>
      makeFinding({
        title: `t${i}`,
        priority: (['P0', 'P1', 'P2', 'P3'] as const)[i % 4],
        confidence: (i % 5) / 5 + 0.1,
        start_line: i + 1,
        end_line: i + 1,
      }),
    );
    const options = { ...OPTIONS, maxComments: 7 };
    expect(filterFindings(findings, options)).toEqual(filterFindings([...findings], options));
  });
});

describe('filterFindings: the cap', () => {
  it('keeps the most important maxComments and drops the rest as over the limit', () => {
    const low = makeFinding({ title: 'low', priority: 'P3', start_line: 1, end_line: 1 });
    const high = makeFinding({ title: 'high', priority: 'P0', start_line: 2, end_line: 2 });
    const mid = makeFinding({ title: 'mid', priority: 'P1', start_line: 3, end_line: 3 });
    const result = filterFindings([low, high, mid], { ...OPTIONS, maxComments: 2 });
    expect(result.kept).toEqual([high, mid]);
    expect(result.dropped).toEqual([{ finding: low, reason: OVER_THE_LIMIT }]);
  });

  it('keeps none with maxComments 0', () => {
    const finding = makeFinding();
    const result = filterFindings([finding], { ...OPTIONS, maxComments: 0 });
    expect(result.kept).toEqual([]);
    expect(result.dropped).toEqual([{ finding, reason: 'over the comment limit' }]);
  });

  it('does not count dropped findings against the cap', () => {
    const ignored = makeFinding({ title: 'x', path: 'vendor/x.js', priority: 'P0' });
    const kept = makeFinding({ title: 'y' });
    const result = filterFindings([ignored, kept], {
      ...OPTIONS,
      maxComments: 1,
      ignorePaths: ['vendor'],
    });
    expect(result.kept).toEqual([kept]);
  });

  it('lists the dropped in input order, whatever the rule', () => {
    const first = makeFinding({ title: 'first', start_line: 1, end_line: 1 });
    const second = makeFinding({ title: 'second', confidence: 0.1 });
    const third = makeFinding({ title: 'third', priority: 'P0', start_line: 5, end_line: 5 });
    const result = filterFindings([first, second, third], { ...OPTIONS, maxComments: 1 });
    expect(result.kept).toEqual([third]);
    expect(result.dropped.map((d) => d.finding.title)).toEqual(['first', 'second']);
  });
});

describe('filterFindings: duplicates', () => {
  it('drops the same title on overlapping lines of the same file, keeping the stronger', () => {
    const weak = makeFinding({ title: 'Off-by-one in page count', confidence: 0.6 });
    const strong = makeFinding({
      title: '  off-by-one   in PAGE count.',
      confidence: 0.9,
      start_line: 12,
      end_line: 14,
    });
    const result = filterFindings([weak, strong], OPTIONS);
    expect(result.kept).toEqual([strong]);
    expect(result.dropped).toEqual([{ finding: weak, reason: 'duplicate of another finding' }]);
  });

  it('a higher priority wins over a higher confidence', () => {
    const p2 = makeFinding({ priority: 'P2', confidence: 1 });
    const p1 = makeFinding({ priority: 'P1', confidence: 0.5 });
    expect(filterFindings([p2, p1], OPTIONS).kept).toEqual([p1]);
  });

  it.each([
    ['lines that do not overlap', { start_line: 13, end_line: 20 }],
    ['another file', { path: 'src/other.ts' }],
    ['another title', { title: 'Off-by-one in item count' }],
  ])('keeps both on %s', (_name, overrides) => {
    const one = makeFinding();
    const two = makeFinding(overrides);
    expect(filterFindings([one, two], OPTIONS).kept).toHaveLength(2);
  });

  it('treats ./a and a as one path', () => {
    const one = makeFinding({ path: 'src/pages.ts' });
    const two = makeFinding({ path: './src/pages.ts', confidence: 0.5 });
    expect(filterFindings([one, two], OPTIONS).kept).toEqual([one]);
  });

  it('drops exact copies down to one', () => {
    const finding = makeFinding();
    const result = filterFindings([finding, { ...finding }, { ...finding }], OPTIONS);
    expect(result.kept).toHaveLength(1);
    expect(result.dropped).toHaveLength(2);
  });
});
