import { describe, expect, it } from 'vitest';
import { findingFingerprint, normalizeCode } from '../../../src/github/review/fingerprint.js';
import { findingMarker, parseFindingMarkers } from '../../../src/github/review/markers.js';
import { planReview } from '../../../src/github/review/plan-review.js';
import type { PreviousReviewState } from '../../../src/github/review/types.js';
import { finding, hunks } from './review-fixtures.js';

const CODE = '  if (page > total) {\n    return last;\n  }';

describe('findingFingerprint by code', () => {
  it('recognises a rephrased finding: the title does not count, the code and kind do', () => {
    const first = {
      path: 'src/pager.ts',
      title: 'Off-by-one in page count',
      kind: 'bug',
      code: CODE,
    };
    const reworded = { ...first, title: 'The last page is never shown' };
    expect(findingFingerprint(reworded)).toBe(findingFingerprint(first));
    // Re-indented, with a blank line: still the same code.
    expect(findingFingerprint({ ...first, code: `\n${CODE.replace(/ {2}/g, '\t')}\n` })).toBe(
      findingFingerprint(first),
    );
    expect(findingFingerprint({ ...first, kind: 'performance' })).not.toBe(
      findingFingerprint(first),
    );
    expect(findingFingerprint({ ...first, path: 'src/other.ts' })).not.toBe(
      findingFingerprint(first),
    );
    expect(findingFingerprint({ ...first, code: CODE.replace('>', '>=') })).not.toBe(
      findingFingerprint(first),
    );
    // Without the code, the title stands in (fingerprints written before).
    const { code: _code, ...untitled } = first;
    expect(findingFingerprint(untitled)).toBe(
      findingFingerprint({ ...untitled, kind: 'security' }),
    );
    expect(findingFingerprint(untitled)).not.toBe(findingFingerprint(first));
  });

  it('normalises whitespace only', () => {
    expect(normalizeCode('  a  =  b;\r\n\r\n\tc(d)  ')).toBe('a = b;\nc(d)');
  });

  it('writes and reads back the kind and the line count in the marker', () => {
    const marker = findingMarker('0123456789abcdef', 'src/a-b.ts', {
      kind: 'error_handling',
      lines: 3,
    });
    expect(marker).toBe(
      '<!-- patchling:finding 0123456789abcdef path=src%2Fa%2Db.ts kind=error_handling lines=3 -->',
    );
    expect(parseFindingMarkers(`text ${marker}`)).toEqual([
      { fingerprint: '0123456789abcdef', path: 'src/a-b.ts', kind: 'error_handling', lines: 3 },
    ]);
    expect(parseFindingMarkers(findingMarker('0123456789abcdef'))).toEqual([
      { fingerprint: '0123456789abcdef' },
    ]);
  });
});

describe('planReview: new findings matched to open threads before posting', () => {
  const previous = (line: number | undefined, kind = 'bug'): PreviousReviewState => ({
    postedFingerprints: new Map([
      [
        'aaaaaaaaaaaaaaaa',
        [
          {
            path: 'src/pager.ts',
            commentId: 11,
            kind,
            lines: 3,
            ...(line === undefined ? {} : { line, startLine: line - 2 }),
          },
        ],
      ],
    ]),
  });
  const edited = finding({
    path: 'src/pager.ts',
    title: 'Pages past the end show nothing',
    kind: 'bug',
    start_line: 11,
    end_line: 12,
    code: '  if (page >= total) {\n    return last;',
  });
  const commentable = hunks({ 'src/pager.ts': [[1, 40]] });

  it('does not post a finding on the lines of an open thread of the same kind, and keeps that thread', () => {
    const plan = planReview([edited], commentable, previous(12));
    expect(plan.inline).toEqual([]);
    expect(plan.repeats).toEqual([edited]);
    expect(plan.fingerprints.has('aaaaaaaaaaaaaaaa')).toBe(true);
  });

  it('posts it when the thread is of another kind, elsewhere, or outdated', () => {
    expect(planReview([edited], commentable, previous(12, 'security')).inline).toHaveLength(1);
    expect(planReview([edited], commentable, previous(30)).inline).toHaveLength(1);
    expect(planReview([edited], commentable, previous(undefined)).inline).toHaveLength(1);
  });

  it('marks a posted code fingerprint with its kind and line count', () => {
    const plan = planReview([edited], commentable, previous(30));
    expect(plan.inline[0]?.comment.body).toContain(
      `<!-- patchling:finding ${findingFingerprint(edited)} kind=bug lines=2 -->`,
    );
  });
});
