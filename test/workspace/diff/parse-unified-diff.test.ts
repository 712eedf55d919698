import { describe, expect, it } from 'vitest';
import type { DiffFile } from '../../../src/workspace/diff/diff-types.js';
import { DiffParseError } from '../../../src/workspace/diff/diff-parse-error.js';
import { parseUnifiedDiff } from '../../../src/workspace/diff/parse-unified-diff.js';
import { renderDiff } from '../../../src/workspace/diff/render-diff.js';
import { diffBetween, numberedLines } from './git-diff-fixture.js';

/** `index <old>..<new>[ <mode>]`: blob ids, which depend on git's hash function. */
const index = (mode = '') =>
  expect.stringMatching(new RegExp(`^index [0-9a-f]{7,}\\.\\.[0-9a-f]{7,}${mode}$`));

/** Parses a real diff and checks that it renders back byte for byte. */
function parse(diff: string): DiffFile[] {
  const files = parseUnifiedDiff(diff);
  expect(renderDiff(files)).toBe(diff);
  return files;
}

const APP_JS =
  'function alpha() {\n' +
  numberedLines(10, '  a') +
  '}\nfunction beta() {\n' +
  numberedLines(10, '  b') +
  '}\n';

describe('parseUnifiedDiff on real git diffs', () => {
  it('numbers both sides of a modified file with two hunks and keeps the function context', async () => {
    const changed = APP_JS.replace('  a2\n', '  a2 changed\n').replace(
      '  b8\n',
      '  b8 changed\n  b8b\n',
    );
    const files = parse(await diffBetween({ 'src/app.js': APP_JS }, { 'src/app.js': changed }));
    expect(files).toEqual([
      {
        path: 'src/app.js',
        status: 'modified',
        binary: false,
        headerLines: [
          'diff --git a/src/app.js b/src/app.js',
          index(' 100644'),
          '--- a/src/app.js',
          '+++ b/src/app.js',
        ],
        hunks: [
          {
            oldStart: 1,
            oldLines: 6,
            newStart: 1,
            newLines: 6,
            header: '',
            lines: [
              { kind: 'context', text: 'function alpha() {', oldLine: 1, newLine: 1 },
              { kind: 'context', text: '  a1', oldLine: 2, newLine: 2 },
              { kind: 'del', text: '  a2', oldLine: 3 },
              { kind: 'add', text: '  a2 changed', newLine: 3 },
              { kind: 'context', text: '  a3', oldLine: 4, newLine: 4 },
              { kind: 'context', text: '  a4', oldLine: 5, newLine: 5 },
              { kind: 'context', text: '  a5', oldLine: 6, newLine: 6 },
            ],
          },
          {
            oldStart: 18,
            oldLines: 7,
            newStart: 18,
            newLines: 8,
            header: 'function beta() {',
            lines: [
              { kind: 'context', text: '  b5', oldLine: 18, newLine: 18 },
              { kind: 'context', text: '  b6', oldLine: 19, newLine: 19 },
              { kind: 'context', text: '  b7', oldLine: 20, newLine: 20 },
              { kind: 'del', text: '  b8', oldLine: 21 },
              { kind: 'add', text: '  b8 changed', newLine: 21 },
              { kind: 'add', text: '  b8b', newLine: 22 },
              { kind: 'context', text: '  b9', oldLine: 22, newLine: 23 },
              { kind: 'context', text: '  b10', oldLine: 23, newLine: 24 },
              { kind: 'context', text: '}', oldLine: 24, newLine: 25 },
            ],
          },
        ],
      },
    ]);
  });

  it('reads a new file from /dev/null, and a one-line one from "@@ -0,0 +1 @@"', async () => {
    const files = parse(await diffBetween({}, { 'new.txt': 'one\ntwo\n', 'one.txt': 'only\n' }));
    expect(files).toEqual([
      {
        path: 'new.txt',
        status: 'added',
        binary: false,
        headerLines: [
          'diff --git a/new.txt b/new.txt',
          'new file mode 100644',
          index(),
          '--- /dev/null',
          '+++ b/new.txt',
        ],
        hunks: [
          {
            oldStart: 0,
            oldLines: 0,
            newStart: 1,
            newLines: 2,
            header: '',
            lines: [
              { kind: 'add', text: 'one', newLine: 1 },
              { kind: 'add', text: 'two', newLine: 2 },
            ],
          },
        ],
      },
      {
        path: 'one.txt',
        status: 'added',
        binary: false,
        headerLines: [
          'diff --git a/one.txt b/one.txt',
          'new file mode 100644',
          index(),
          '--- /dev/null',
          '+++ b/one.txt',
        ],
        hunks: [
          {
            oldStart: 0,
            oldLines: 0,
            newStart: 1,
            newLines: 1,
            header: '',
            lines: [{ kind: 'add', text: 'only', newLine: 1 }],
          },
        ],
      },
    ]);
  });

  it('names a deleted file by its old path', async () => {
    const files = parse(
      await diffBetween({ 'gone/old.txt': 'one\ntwo\n' }, { 'gone/old.txt': null }),
    );
    expect(files).toEqual([
      {
        path: 'gone/old.txt',
        status: 'deleted',
        binary: false,
        headerLines: [
          'diff --git a/gone/old.txt b/gone/old.txt',
          'deleted file mode 100644',
          index(),
          '--- a/gone/old.txt',
          '+++ /dev/null',
        ],
        hunks: [
          {
            oldStart: 1,
            oldLines: 2,
            newStart: 0,
            newLines: 0,
            header: '',
            lines: [
              { kind: 'del', text: 'one', oldLine: 1 },
              { kind: 'del', text: 'two', oldLine: 2 },
            ],
          },
        ],
      },
    ]);
  });

  it('reads an empty new file with a space in its name from the diff --git line alone', async () => {
    const files = parse(await diffBetween({}, { 'docs/empty file.txt': '' }));
    expect(files).toEqual([
      {
        path: 'docs/empty file.txt',
        status: 'added',
        binary: false,
        headerLines: [
          'diff --git a/docs/empty file.txt b/docs/empty file.txt',
          'new file mode 100644',
          index(),
        ],
        hunks: [],
      },
    ]);
  });

  it('reads a pure rename of paths with spaces (git renames by default)', async () => {
    const files = parse(
      await diffBetween(
        { 'a/old name.txt': numberedLines(5) },
        { 'a/old name.txt': null, 'b/new name.txt': numberedLines(5) },
      ),
    );
    expect(files).toEqual([
      {
        path: 'b/new name.txt',
        oldPath: 'a/old name.txt',
        status: 'renamed',
        binary: false,
        headerLines: [
          'diff --git a/a/old name.txt b/b/new name.txt',
          'similarity index 100%',
          'rename from a/old name.txt',
          'rename to b/new name.txt',
        ],
        hunks: [],
      },
    ]);
  });

  it('reads the same move as a deletion and an addition with --no-renames', async () => {
    const files = parse(
      await diffBetween(
        { 'old.txt': numberedLines(2) },
        { 'old.txt': null, 'new.txt': numberedLines(2) },
        ['--no-renames'],
      ),
    );
    expect(files.map(({ path, status, oldPath }) => ({ path, status, oldPath }))).toEqual([
      { path: 'new.txt', status: 'added', oldPath: undefined },
      { path: 'old.txt', status: 'deleted', oldPath: undefined },
    ]);
  });

  it('reads a rename with edits under --find-renames', async () => {
    const after = numberedLines(10).replace('line 5\n', 'line five\n');
    const files = parse(
      await diffBetween({ 'old.txt': numberedLines(10) }, { 'old.txt': null, 'new.txt': after }, [
        '--find-renames',
      ]),
    );
    expect(files).toEqual([
      {
        path: 'new.txt',
        oldPath: 'old.txt',
        status: 'renamed',
        binary: false,
        headerLines: [
          'diff --git a/old.txt b/new.txt',
          'similarity index 86%',
          'rename from old.txt',
          'rename to new.txt',
          index(' 100644'),
          '--- a/old.txt',
          '+++ b/new.txt',
        ],
        hunks: [
          {
            oldStart: 2,
            oldLines: 7,
            newStart: 2,
            newLines: 7,
            header: 'line 1',
            lines: [
              { kind: 'context', text: 'line 2', oldLine: 2, newLine: 2 },
              { kind: 'context', text: 'line 3', oldLine: 3, newLine: 3 },
              { kind: 'context', text: 'line 4', oldLine: 4, newLine: 4 },
              { kind: 'del', text: 'line 5', oldLine: 5 },
              { kind: 'add', text: 'line five', newLine: 5 },
              { kind: 'context', text: 'line 6', oldLine: 6, newLine: 6 },
              { kind: 'context', text: 'line 7', oldLine: 7, newLine: 7 },
              { kind: 'context', text: 'line 8', oldLine: 8, newLine: 8 },
            ],
          },
        ],
      },
    ]);
  });

  it('reads a copy (-C --find-copies-harder)', async () => {
    const files = parse(
      await diffBetween(
        { 'orig.txt': numberedLines(10) },
        { 'copy.txt': numberedLines(10).replace('line 9\n', 'line nine\n') },
        ['-C', '--find-copies-harder'],
      ),
    );
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({
      path: 'copy.txt',
      oldPath: 'orig.txt',
      status: 'copied',
      binary: false,
    });
    expect(files[0]?.headerLines.slice(0, 4)).toEqual([
      'diff --git a/orig.txt b/copy.txt',
      'similarity index 86%',
      'copy from orig.txt',
      'copy to copy.txt',
    ]);
    expect(files[0]?.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [6, 5, 6, 5],
    ]);
  });

  it('marks binary files, changed and new, with no hunks', async () => {
    const files = parse(
      await diffBetween(
        { 'img.bin': Buffer.from([0, 1, 2, 3, 0]) },
        { 'img.bin': Buffer.from([0, 1, 2, 4, 0]), 'new.bin': Buffer.from([0, 9]) },
      ),
    );
    expect(files).toEqual([
      {
        path: 'img.bin',
        status: 'modified',
        binary: true,
        headerLines: [
          'diff --git a/img.bin b/img.bin',
          index(' 100644'),
          'Binary files a/img.bin and b/img.bin differ',
        ],
        hunks: [],
      },
      {
        path: 'new.bin',
        status: 'added',
        binary: true,
        headerLines: [
          'diff --git a/new.bin b/new.bin',
          'new file mode 100644',
          index(),
          'Binary files /dev/null and b/new.bin differ',
        ],
        hunks: [],
      },
    ]);
  });

  it('keeps a GIT binary patch (--binary) verbatim in the header', async () => {
    const files = parse(
      await diffBetween(
        { 'img.bin': Buffer.from([0, 1, 2, 3, 0]), 'b.txt': 'b\n' },
        { 'img.bin': Buffer.from([0, 1, 2, 4, 0]), 'b.txt': 'B\n' },
        ['--binary'],
      ),
    );
    expect(files.map((f) => [f.path, f.binary, f.hunks.length])).toEqual([
      ['b.txt', false, 1],
      ['img.bin', true, 0],
    ]);
    expect(files[1]?.headerLines.slice(2, 4)).toEqual(['GIT binary patch', 'literal 5']);
    expect(files[1]?.headerLines.at(-1)).toBe('');
  });

  it('attaches "\\ No newline at end of file" to the line it follows, on either side', async () => {
    const files = parse(
      await diffBetween(
        { 'a.txt': 'x\ny', 'b.txt': 'x\ny\n', 'c.txt': 'x\ny' },
        { 'a.txt': 'x\nz', 'b.txt': 'x\ny', 'c.txt': 'x\ny\n' },
      ),
    );
    expect(files.map((file) => file.hunks[0]?.lines)).toEqual([
      [
        { kind: 'context', text: 'x', oldLine: 1, newLine: 1 },
        { kind: 'del', text: 'y', oldLine: 2, noNewlineAtEnd: true },
        { kind: 'add', text: 'z', newLine: 2, noNewlineAtEnd: true },
      ],
      [
        { kind: 'context', text: 'x', oldLine: 1, newLine: 1 },
        { kind: 'del', text: 'y', oldLine: 2 },
        { kind: 'add', text: 'y', newLine: 2, noNewlineAtEnd: true },
      ],
      [
        { kind: 'context', text: 'x', oldLine: 1, newLine: 1 },
        { kind: 'del', text: 'y', oldLine: 2, noNewlineAtEnd: true },
        { kind: 'add', text: 'y', newLine: 2 },
      ],
    ]);
  });

  it("decodes git's quoted paths: octal UTF-8, escaped quotes, tabs", async () => {
    const files = parse(
      await diffBetween(
        { 'café.txt': 'a\n', 'tab\there.txt': 'a\n', 'say "hi".txt': 'a\n' },
        { 'café.txt': 'b\n', 'tab\there.txt': 'b\n', 'say "hi".txt': 'b\n' },
      ),
    );
    expect(files.map((file) => file.path)).toEqual(['café.txt', 'say "hi".txt', 'tab\there.txt']);
    expect(files[0]?.headerLines[0]).toBe('diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"');
    // A quoted name with a space still gets git's trailing tab on the ---/+++ lines.
    expect(files[1]?.headerLines[2]).toBe('--- "a/say \\"hi\\".txt"\t');
  });

  it('decodes a rename from a plain name to a quoted one', async () => {
    const files = parse(
      await diffBetween(
        { 'plain.txt': numberedLines(5) },
        { 'plain.txt': null, 'naïve.txt': numberedLines(5) },
      ),
    );
    expect(files).toEqual([
      {
        path: 'naïve.txt',
        oldPath: 'plain.txt',
        status: 'renamed',
        binary: false,
        headerLines: [
          'diff --git a/plain.txt "b/na\\303\\257ve.txt"',
          'similarity index 100%',
          'rename from plain.txt',
          'rename to "na\\303\\257ve.txt"',
        ],
        hunks: [],
      },
    ]);
  });

  it('reads a mode-only change of a path with spaces, and a mode change with edits', async () => {
    const files = parse(
      await diffBetween(
        { 'bin/run me.sh': 'echo hi\n', 'run.sh': 'echo hi\n' },
        {
          'bin/run me.sh': { content: 'echo hi\n', executable: true },
          'run.sh': { content: 'echo bye\n', executable: true },
        },
      ),
    );
    expect(files).toEqual([
      {
        path: 'bin/run me.sh',
        status: 'modified',
        binary: false,
        headerLines: [
          'diff --git a/bin/run me.sh b/bin/run me.sh',
          'old mode 100644',
          'new mode 100755',
        ],
        hunks: [],
      },
      {
        path: 'run.sh',
        status: 'modified',
        binary: false,
        headerLines: [
          'diff --git a/run.sh b/run.sh',
          'old mode 100644',
          'new mode 100755',
          index(),
          '--- a/run.sh',
          '+++ b/run.sh',
        ],
        hunks: [
          {
            oldStart: 1,
            oldLines: 1,
            newStart: 1,
            newLines: 1,
            header: '',
            lines: [
              { kind: 'del', text: 'echo hi', oldLine: 1 },
              { kind: 'add', text: 'echo bye', newLine: 1 },
            ],
          },
        ],
      },
    ]);
  });

  it('reads a path with spaces from ---/+++ despite the tab git appends', async () => {
    const files = parse(
      await diffBetween({ 'my dir/a b.txt': 'a\n' }, { 'my dir/a b.txt': 'b\n' }),
    );
    expect(files[0]?.path).toBe('my dir/a b.txt');
    expect(files[0]?.headerLines.slice(2)).toEqual([
      '--- a/my dir/a b.txt\t',
      '+++ b/my dir/a b.txt\t',
    ]);
  });

  it('keeps the carriage return of CRLF content lines', async () => {
    const files = parse(
      await diffBetween({ 'win.txt': 'a\r\nb\r\nc\r\n' }, { 'win.txt': 'a\r\nB\r\nc\r\n' }),
    );
    expect(files[0]?.hunks[0]?.lines).toEqual([
      { kind: 'context', text: 'a\r', oldLine: 1, newLine: 1 },
      { kind: 'del', text: 'b\r', oldLine: 2 },
      { kind: 'add', text: 'B\r', newLine: 2 },
      { kind: 'context', text: 'c\r', oldLine: 3, newLine: 3 },
    ]);
  });

  it('reads a deletion-only hunk without context (-U0) with an empty new side', async () => {
    const files = parse(
      await diffBetween(
        { 'x.txt': numberedLines(10) },
        { 'x.txt': numberedLines(10).replace('line 5\n', '') },
        ['-U0'],
      ),
    );
    expect(files[0]?.hunks).toEqual([
      {
        oldStart: 5,
        oldLines: 1,
        newStart: 4,
        newLines: 0,
        header: 'line 4',
        lines: [{ kind: 'del', text: 'line 5', oldLine: 5 }],
      },
    ]);
  });

  it('treats content lines that look like headers as content (counts decide)', async () => {
    const before = 'keep\n-- a/x\n';
    const after = 'keep\n++ b/x\ndiff --git a/x b/x\n@@ -1 +1 @@\n';
    const files = parse(await diffBetween({ 'tricky.txt': before }, { 'tricky.txt': after }));
    expect(files).toHaveLength(1);
    expect(files[0]?.hunks[0]?.lines.map((line) => [line.kind, line.text])).toEqual([
      ['context', 'keep'],
      ['del', '-- a/x'],
      ['add', '++ b/x'],
      ['add', 'diff --git a/x b/x'],
      ['add', '@@ -1 +1 @@'],
    ]);
  });
});

describe('parseUnifiedDiff on text git would not write', () => {
  it('returns nothing for an empty diff', () => {
    expect(parseUnifiedDiff('')).toEqual([]);
  });

  it('refuses text before the first file, naming the line', () => {
    expect(() => parseUnifiedDiff('hello\ndiff --git a/x b/x\n')).toThrow(
      new DiffParseError(1, 'expected "diff --git", got "hello"'),
    );
  });

  it('refuses a combined diff of a merge', () => {
    expect(() => parseUnifiedDiff('diff --cc file.txt\n')).toThrow(/combined diff/);
  });

  it('refuses a hunk cut short', () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n';
    expect(() => parseUnifiedDiff(diff)).toThrow(/line 6: the diff ends inside a hunk/);
  });

  it('refuses a line past what the @@ line counts', () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n';
    expect(() => parseUnifiedDiff(diff)).toThrow(/line 7: a line past the hunk's counts: "\+c"/);
  });

  it('refuses a line a hunk cannot hold', () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n-b\n-c\n';
    expect(() => parseUnifiedDiff(diff)).toThrow(/line 7: unexpected line in a hunk: "-c"/);
  });

  it('refuses names without the a/ and b/ prefixes', () => {
    const diff = 'diff --git x y\n--- x\n+++ y\n@@ -1 +1 @@\n-a\n+b\n';
    expect(() => parseUnifiedDiff(diff)).toThrow(/line 2: expected a name starting with a\//);
  });

  it('reads an empty line inside a hunk as a context line whose space was stripped', () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n\n-a\n+b\n';
    expect(parseUnifiedDiff(diff)[0]?.hunks[0]?.lines[0]).toEqual({
      kind: 'context',
      text: '',
      oldLine: 1,
      newLine: 1,
    });
  });
});
