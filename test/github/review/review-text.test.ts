import { describe, expect, it } from 'vitest';
import { findingFingerprint } from '../../../src/github/review/fingerprint.js';
import { codeSpan, fencedBlock } from '../../../src/github/review/markdown.js';
import {
  findingMarker,
  parseFindingMarkers,
  parseReviewMarker,
  reviewMarker,
} from '../../../src/github/review/markers.js';
import { headSha } from './review-fixtures.js';

describe('review text helpers', () => {
  it('fingerprints the same issue in the same file alike, whatever the case, spacing or lines', () => {
    const fp = findingFingerprint({ path: 'src/a.ts', title: 'Off-by-one in page count' });
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(findingFingerprint({ path: 'src/a.ts', title: '  off-by-one\tin  PAGE count ' })).toBe(
      fp,
    );
    expect(findingFingerprint({ path: 'src/b.ts', title: 'Off-by-one in page count' })).not.toBe(
      fp,
    );
    expect(findingFingerprint({ path: 'src/a.ts', title: 'Off-by-two in page count' })).not.toBe(
      fp,
    );
  });

  it('writes a suggestion that deletes lines as an empty block, and keeps the content exact', () => {
    expect(fencedBlock('', 'suggestion')).toBe('```suggestion\n```');
    expect(fencedBlock('a\n\n  b\n', 'suggestion')).toBe('```suggestion\na\n\n  b\n```');
    expect(fencedBlock('````x', 'suggestion')).toBe('`````suggestion\n````x\n`````');
  });

  it('puts any path in a code span it cannot break out of', () => {
    expect(codeSpan('src/a.ts:3')).toBe('`src/a.ts:3`');
    expect(codeSpan('we`ird\npath')).toBe('``we`ird path``');
    expect(codeSpan('`edge`')).toBe('`` `edge` ``');
  });

  it('round-trips markers, and a path cannot close the comment it is kept in', () => {
    const path = 'docs/--> <!-- x.md';
    const marker = findingMarker('0123456789abcdef', path);
    expect(marker.slice('<!--'.length, -'-->'.length)).not.toMatch(/--|>/);
    expect(parseFindingMarkers(`x ${marker} y`)).toEqual([
      { fingerprint: '0123456789abcdef', path },
    ]);
    expect(
      parseFindingMarkers('<!-- patchling:finding 0123456789abcdef path=%E0%A4%A -->'),
    ).toEqual([{ fingerprint: '0123456789abcdef' }]);
    expect(parseReviewMarker(`body\n\n${reviewMarker(headSha)}\n`)).toBe(headSha);
    expect(parseReviewMarker('<!-- patchling:review sha=abc -->')).toBeUndefined();
    expect(parseReviewMarker(null)).toBeUndefined();
  });
});
