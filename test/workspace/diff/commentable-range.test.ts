import { beforeAll, describe, expect, it } from 'vitest';
import { commentableRange } from '../../../src/workspace/diff/commentable-range.js';
import type { DiffFile } from '../../../src/workspace/diff/diff-types.js';
import { changedLines, newFileHead, newSideLines } from '../../../src/workspace/diff/line-maps.js';
import { parseUnifiedDiff } from '../../../src/workspace/diff/parse-unified-diff.js';
import { diffBetween, numberedLines } from './git-diff-fixture.js';

const APP = numberedLines(30);
// Hunk 1: new lines 1-6 (3 added); hunk 2: new lines 18-25 (21 and 22 added).
const APP_AFTER = APP.replace('line 3\n', 'line 3 changed\n').replace(
  'line 21\n',
  'line 21 changed\nline 21b\n',
);

let files: DiffFile[];

beforeAll(async () => {
  files = parseUnifiedDiff(
    await diffBetween(
      {
        'src/app.ts': APP,
        'gone.txt': 'bye\n',
        'img.bin': Buffer.from([0, 1, 0]),
        'old/name.txt': numberedLines(5),
        'trim.txt': numberedLines(10),
      },
      {
        'src/app.ts': APP_AFTER,
        'gone.txt': null,
        'img.bin': Buffer.from([0, 2, 0]),
        'old/name.txt': null,
        'new/name.txt': numberedLines(5),
        'trim.txt': numberedLines(10).replace('line 5\n', ''),
        'fresh.ts': 'a\nb\n',
      },
    ),
  );
});

describe('newSideLines and changedLines', () => {
  it('lists the added and context lines, and the added lines alone', () => {
    const app = files.find((file) => file.path === 'src/app.ts');
    if (app === undefined) throw new Error('src/app.ts missing from the diff');
    expect(app.hunks.map((h) => [h.newStart, h.newLines])).toEqual([
      [1, 6],
      [18, 8],
    ]);
    expect([...newSideLines(app)]).toEqual([1, 2, 3, 4, 5, 6, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect([...changedLines(app)]).toEqual([3, 21, 22]);
  });

  it('gives the start of a new file, for marker checks, and nothing when the diff lacks it', () => {
    const fresh = files.find((file) => file.path === 'fresh.ts');
    const trim = files.find((file) => file.path === 'trim.txt');
    expect(fresh && newFileHead(fresh)).toBe('a\nb');
    expect(trim && newFileHead(trim)).toBeUndefined();
  });
});

describe('commentableRange', () => {
  it('accepts an added line', () => {
    expect(commentableRange(files, 'src/app.ts', 3, 3)).toEqual({
      ok: true,
      startLine: 3,
      line: 3,
    });
  });

  it('accepts a context line, and a range of context and added lines in one hunk', () => {
    expect(commentableRange(files, 'src/app.ts', 6, 6)).toEqual({
      ok: true,
      startLine: 6,
      line: 6,
    });
    expect(commentableRange(files, 'src/app.ts', 19, 25)).toEqual({
      ok: true,
      startLine: 19,
      line: 25,
    });
  });

  it('refuses a line outside every hunk', () => {
    expect(commentableRange(files, 'src/app.ts', 120, 120)).toEqual({
      ok: false,
      reason: 'line 120 of src/app.ts is outside the diff',
    });
    expect(commentableRange(files, 'src/app.ts', 7, 7)).toEqual({
      ok: false,
      reason: 'line 7 of src/app.ts is outside the diff',
    });
  });

  it('refuses a range that runs out of its hunk, naming the line that does', () => {
    expect(commentableRange(files, 'src/app.ts', 4, 9)).toEqual({
      ok: false,
      reason: 'lines 4-9 of src/app.ts: line 9 is outside the diff',
    });
    expect(commentableRange(files, 'src/app.ts', 12, 19)).toEqual({
      ok: false,
      reason: 'lines 12-19 of src/app.ts: line 12 is outside the diff',
    });
  });

  it('refuses a range spanning two hunks, even with both ends in the diff', () => {
    expect(commentableRange(files, 'src/app.ts', 5, 20)).toEqual({
      ok: false,
      reason:
        'lines 5-20 of src/app.ts span more than one hunk (lines 1-6 and lines 18-25); ' +
        'a comment must lie within one',
    });
  });

  it('refuses where only lines were deleted: the new side has nothing there', async () => {
    const u0 = parseUnifiedDiff(
      await diffBetween(
        { 't.txt': numberedLines(10) },
        { 't.txt': numberedLines(10).replace('line 5\n', '') },
        ['-U0'],
      ),
    );
    expect(u0[0]?.hunks[0]).toMatchObject({ newStart: 4, newLines: 0 });
    for (const line of [4, 5]) {
      expect(commentableRange(u0, 't.txt', line, line)).toEqual({
        ok: false,
        reason: `line ${line} of t.txt is outside the diff`,
      });
    }
  });

  it('refuses deleted, binary, unchanged-but-renamed and unknown files, saying which', () => {
    expect(commentableRange(files, 'gone.txt', 1, 1)).toEqual({
      ok: false,
      reason: 'gone.txt is deleted by the change',
    });
    expect(commentableRange(files, 'img.bin', 1, 1)).toEqual({
      ok: false,
      reason: 'img.bin is a binary file',
    });
    expect(commentableRange(files, 'new/name.txt', 1, 1)).toEqual({
      ok: false,
      reason: 'new/name.txt has no changed lines (renamed without edits)',
    });
    expect(commentableRange(files, 'old/name.txt', 1, 1)).toEqual({
      ok: false,
      reason: 'old/name.txt is not in the diff',
    });
  });

  it('refuses ranges that are not ranges', () => {
    expect(commentableRange(files, 'src/app.ts', 4, 3)).toEqual({
      ok: false,
      reason: 'lines 4-3 of src/app.ts: the range ends before it starts',
    });
    expect(commentableRange(files, 'src/app.ts', 0, 3)).toMatchObject({ ok: false });
    expect(commentableRange(files, 'src/app.ts', 1.5, 3)).toMatchObject({ ok: false });
  });

  it('finds hunks across the parts of a file split into batches', () => {
    const app = files.find((file) => file.path === 'src/app.ts');
    if (app === undefined) throw new Error('src/app.ts missing from the diff');
    const parts = app.hunks.map((hunk) => ({ ...app, hunks: [hunk] }));
    expect(commentableRange(parts, 'src/app.ts', 21, 22)).toEqual({
      ok: true,
      startLine: 21,
      line: 22,
    });
    expect(commentableRange(parts, 'src/app.ts', 5, 20)).toMatchObject({ ok: false });
  });
});
