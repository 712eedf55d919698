import { describe, expect, it } from 'vitest';
import { commentableRange } from '../../../src/workspace/diff/commentable-range.js';
import { parseUnifiedDiff } from '../../../src/workspace/diff/parse-unified-diff.js';
import { planReviewBatches } from '../../../src/workspace/diff/plan-review-batches.js';
import { renderDiff } from '../../../src/workspace/diff/render-diff.js';
import { diffBetween, numberedLines } from './git-diff-fixture.js';

describe('very long hunks, from real git diffs', () => {
  it('numbers every line of a 20,000-line new file and a 6,000-line rewrite, and maps their ends', async () => {
    const old = numberedLines(6_000, 'old line ');
    const rewritten = numberedLines(6_000, 'new line ');
    const diff = await diffBetween(
      { 'rewrite.txt': old },
      { 'rewrite.txt': rewritten, 'big.txt': numberedLines(20_000, 'row ') },
    );
    const files = parseUnifiedDiff(diff);
    expect(renderDiff(files)).toBe(diff);

    const big = files.find((file) => file.path === 'big.txt');
    expect(big?.hunks).toHaveLength(1);
    const bigLines = big?.hunks[0]?.lines ?? [];
    expect(bigLines).toHaveLength(20_000);
    expect(bigLines.at(-1)).toEqual({ kind: 'add', text: 'row 20000', newLine: 20_000 });

    const rewrite = files.find((file) => file.path === 'rewrite.txt');
    expect(rewrite?.hunks).toHaveLength(1);
    const hunk = rewrite?.hunks[0];
    expect([hunk?.oldStart, hunk?.oldLines, hunk?.newStart, hunk?.newLines]).toEqual([
      1, 6_000, 1, 6_000,
    ]);
    expect(hunk?.lines.filter((line) => line.kind === 'del')).toHaveLength(6_000);
    expect(hunk?.lines.at(-1)).toEqual({ kind: 'add', text: 'new line 6000', newLine: 6_000 });

    // A comment may span the whole hunk, but not run past its end.
    expect(commentableRange(files, 'big.txt', 19_990, 20_000)).toEqual({
      ok: true,
      startLine: 19_990,
      line: 20_000,
    });
    expect(commentableRange(files, 'big.txt', 19_990, 20_001)).toEqual({
      ok: false,
      reason: 'lines 19990-20001 of big.txt: line 20001 is outside the diff',
    });
  });

  it('splits a long file into batches by hunk, and names a hunk too large for any batch', async () => {
    // Three far-apart edits in one long file make three hunks; one more is a 5,000-line block.
    const base = numberedLines(9_000, 'line ');
    const lines = base.split('\n');
    lines[99] = 'edited 100';
    lines[2_999] = 'edited 3000';
    lines[5_999] = 'edited 6000';
    const head = lines.join('\n');
    const diff = await diffBetween(
      { 'long.txt': base, 'block.txt': '' },
      { 'long.txt': head, 'block.txt': numberedLines(5_000, 'block ') },
    );
    const files = parseUnifiedDiff(diff);
    const plan = planReviewBatches(files, { maxBatchTokens: 60, ignorePaths: [] });

    const longParts = plan.batches.flat().filter((file) => file.path === 'long.txt');
    expect(longParts.map((part) => part.hunks.map((h) => h.newStart + 3))).toEqual([
      [100],
      [3_000],
      [6_000],
    ]);
    expect(plan.skipped).toEqual([
      {
        path: 'block.txt',
        reason: expect.stringMatching(
          /^too large even alone: hunk "@@ -0,0 \+1,5000 @@" is ~\d+ tokens/,
        ),
      },
    ]);
    // Every part still maps its own lines.
    expect(commentableRange(longParts, 'long.txt', 3_000, 3_000)).toEqual({
      ok: true,
      startLine: 3_000,
      line: 3_000,
    });
  });
});
