import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findingFingerprint } from '../../../src/github/post-review.js';
import { codeOf, createFileLines, stillInCode } from '../../../src/jobs/review/finding-code.js';

const run = promisify(execFile);
let dir: string;
let outside: string;

beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-code-')));
  outside = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-')));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const PAGER = [
  'export function last(page, total) {',
  '  if (page > total) {',
  '    return total;',
  '  }',
  '  return page;',
  '}',
  '',
].join('\n');

describe('the code of a finding', () => {
  it('reads the lines of a finding from the checkout, and nothing outside it', async () => {
    await writeFile(path.join(dir, 'pager.js'), PAGER);
    await writeFile(path.join(outside, 'secret.js'), 'secret\n');
    await symlink(path.join(outside, 'secret.js'), path.join(dir, 'link.js'));
    await run('mkfifo', [path.join(dir, 'pipe.js')]);
    const lines = createFileLines(dir);

    expect(await codeOf(lines, { path: 'pager.js', start_line: 2, end_line: 4 })).toBe(
      '  if (page > total) {\n    return total;\n  }',
    );
    expect(await codeOf(lines, { path: 'pager.js', start_line: 6, end_line: 9 })).toBeUndefined();
    expect(await codeOf(lines, { path: 'link.js', start_line: 1, end_line: 1 })).toBeUndefined();
    expect(await codeOf(lines, { path: '../x.js', start_line: 1, end_line: 1 })).toBeUndefined();
    // A FIFO is not opened for reading: it would block the job forever.
    expect(await codeOf(lines, { path: 'pipe.js', start_line: 1, end_line: 1 })).toBeUndefined();
  });

  it('re-checks earlier findings against a rewritten file: kept where their code still is, wherever it moved', async () => {
    const code = '  if (page > total) {\n    return total;\n  }';
    const moved = findingFingerprint({ path: 'pager.js', title: '', kind: 'bug', code });
    const rewritten = findingFingerprint({
      path: 'pager.js',
      title: '',
      kind: 'bug',
      code: '  return page;\n}',
    });
    // The new version: two lines added on top, and `return page;` rewritten.
    await writeFile(
      path.join(dir, 'pager.js'),
      `// header\n// more\n${PAGER.replace('  return page;', '  return Math.min(page, total);')}`,
    );
    const previous = {
      postedFingerprints: new Map([
        [moved, [{ path: 'pager.js', commentId: 1, kind: 'bug', lines: 3 }]],
        [rewritten, [{ path: 'pager.js', commentId: 2, kind: 'bug', lines: 2 }]],
        ['cccccccccccccccc', [{ path: 'pager.js', commentId: 3 }]], // a title fingerprint
        ['dddddddddddddddd', [{ path: 'other.js', commentId: 4, kind: 'bug', lines: 1 }]],
      ]),
    };

    const present = await stillInCode(previous, new Set(['pager.js']), createFileLines(dir));

    expect([...present].sort()).toEqual([moved, 'cccccccccccccccc'].sort());
  });
});
