import { chmod, mkdir, mkdtemp, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPatch } from '../../../src/workspace/patch/apply-patch.js';
import { PatchApplyError, PatchParseError } from '../../../src/workspace/patch/patch-errors.js';
import type { ChangedFile } from '../../../src/workspace/patch/patch-types.js';
import { makeWorkspace, patch, removeWorkspace, snapshot } from './workspace-fixture.js';

const cleanup: string[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map(removeWorkspace));
});

async function workspaceWith(files: Record<string, string | Buffer>): Promise<string> {
  const root = await makeWorkspace(files);
  cleanup.push(root);
  return root;
}

const PY = ['def foo():', '    return 1', '', '', 'def bar():', '    return 1', ''].join('\n');

interface GoodCase {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly patch: string;
  readonly after: Record<string, string>;
  readonly changed: ChangedFile[];
}

const goodCases: GoodCase[] = [
  {
    name: 'adds a file, creating nested directories',
    files: { 'README.md': 'r\n' },
    patch: patch('*** Add File: src/deep/new/hello.txt', '+hello', '+', '+world'),
    after: { 'README.md': 'r\n', 'src/deep/new/hello.txt': 'hello\n\nworld\n' },
    changed: [{ path: 'src/deep/new/hello.txt', kind: 'add' }],
  },
  {
    name: 'deletes a file',
    files: { 'a.txt': 'a\n', 'b.txt': 'b\n' },
    patch: patch('*** Delete File: a.txt'),
    after: { 'b.txt': 'b\n' },
    changed: [{ path: 'a.txt', kind: 'delete' }],
  },
  {
    name: 'updates with one chunk',
    files: { 'f.txt': 'a\nb\nc\nd\n' },
    patch: patch('*** Update File: f.txt', '@@', ' a', '-b', '+B', ' c'),
    after: { 'f.txt': 'a\nB\nc\nd\n' },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
  {
    name: 'updates with several chunks, each searched after the previous one',
    files: { 'f.txt': 'one\ntwo\nthree\nfour\nfive\nsix\nseven\n' },
    patch: patch(
      '*** Update File: f.txt',
      '@@',
      ' one',
      '-two',
      '+TWO',
      ' three',
      '@@',
      ' five',
      '-six',
      '+SIX',
      '+six and a half',
      ' seven',
    ),
    after: { 'f.txt': 'one\nTWO\nthree\nfour\nfive\nSIX\nsix and a half\nseven\n' },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
  {
    name: 'uses the @@ anchor to pick the second of two identical blocks',
    files: { 'app.py': PY },
    patch: patch('*** Update File: app.py', '@@ def bar():', '-    return 1', '+    return 2'),
    after: { 'app.py': PY.replace('def bar():\n    return 1', 'def bar():\n    return 2') },
    changed: [{ path: 'app.py', kind: 'update' }],
  },
  {
    name: 'without an anchor takes the first occurrence, as Codex does',
    files: { 'app.py': PY },
    patch: patch('*** Update File: app.py', '@@', '-    return 1', '+    return 2'),
    after: { 'app.py': PY.replace('    return 1', '    return 2') },
    changed: [{ path: 'app.py', kind: 'update' }],
  },
  {
    name: 'follows several @@ anchors in turn (class, then method)',
    files: {
      'm.py':
        'class A:\n    def f(self):\n        return 1\nclass B:\n    def f(self):\n        return 1\n',
    },
    patch: patch(
      '*** Update File: m.py',
      '@@ class B:',
      '@@     def f(self):',
      '-        return 1',
      '+        return 2',
    ),
    after: {
      'm.py':
        'class A:\n    def f(self):\n        return 1\nclass B:\n    def f(self):\n        return 2\n',
    },
    changed: [{ path: 'm.py', kind: 'update' }],
  },
  {
    name: 'inserts right after the anchor when a chunk only adds',
    files: { 'f.py': 'def f():\n    pass\n' },
    patch: patch('*** Update File: f.py', '@@ def f():', '+    """Doc."""'),
    after: { 'f.py': 'def f():\n    """Doc."""\n    pass\n' },
    changed: [{ path: 'f.py', kind: 'update' }],
  },
  {
    name: 'tolerates trailing whitespace and keeps the file’s own context lines',
    files: { 'f.py': 'x = 1  \ny = 2\t\nz = 3\n' },
    patch: patch('*** Update File: f.py', '@@', ' x = 1', '-y = 2', '+y = 20', ' z = 3'),
    after: { 'f.py': 'x = 1  \ny = 20\nz = 3\n' },
    changed: [{ path: 'f.py', kind: 'update' }],
  },
  {
    name: 'tolerates different indentation',
    files: { 'f.py': '    if ok:\n        run()\n    done()\n' },
    patch: patch('*** Update File: f.py', '@@', ' if ok:', '-    run()', '+        go()'),
    after: { 'f.py': '    if ok:\n        go()\n    done()\n' },
    changed: [{ path: 'f.py', kind: 'update' }],
  },
  {
    name: 'tolerates straight quotes and hyphens for curly quotes and dashes',
    files: { 'f.txt': 'print(\u201Chello\u201D)\nx = \u2018a\u2019 \u2014 b\n' },
    patch: patch('*** Update File: f.txt', '@@', ' print("hello")', "-x = 'a' - b", "+x = 'b'"),
    after: { 'f.txt': "print(\u201Chello\u201D)\nx = 'b'\n" },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
  {
    name: 'anchors a chunk at the end of the file with End of File',
    files: { 'f.txt': 'x\nend\nmiddle\nend\n' },
    patch: patch('*** Update File: f.txt', '@@', '-end', '+END', '*** End of File'),
    after: { 'f.txt': 'x\nend\nmiddle\nEND\n' },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
  {
    name: 'appends at the end with an add-only End of File chunk',
    files: { 'f.txt': 'a\nb\n' },
    patch: patch('*** Update File: f.txt', '@@', '+c', '*** End of File'),
    after: { 'f.txt': 'a\nb\nc\n' },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
  {
    name: 'reads a trailing empty line of a chunk as the end of the file when it must',
    files: { 'f.txt': 'a\nb\n', 'g.txt': 'g\n' },
    patch: patch('*** Update File: f.txt', '@@', ' a', '-b', '+c', '', '*** Delete File: g.txt'),
    after: { 'f.txt': 'a\nc\n' },
    changed: [
      { path: 'f.txt', kind: 'update' },
      { path: 'g.txt', kind: 'delete' },
    ],
  },
  {
    name: 'renames a file without edits',
    files: { 'old/name.txt': 'keep me\n' },
    patch: patch('*** Update File: old/name.txt', '*** Move to: new/dir/name.txt'),
    after: { old: '<dir>', 'new/dir/name.txt': 'keep me\n' },
    changed: [{ path: 'old/name.txt', kind: 'move', movedTo: 'new/dir/name.txt' }],
  },
  {
    name: 'renames a file with edits',
    files: { 'a.txt': 'one\ntwo\n' },
    patch: patch('*** Update File: a.txt', '*** Move to: b.txt', '@@', '-two', '+2'),
    after: { 'b.txt': 'one\n2\n' },
    changed: [{ path: 'a.txt', kind: 'move', movedTo: 'b.txt' }],
  },
  {
    name: 'keeps CRLF line endings (and reads a CRLF patch)',
    files: { 'win.txt': 'a\r\nb\r\nc\r\n' },
    patch: patch('*** Update File: win.txt', '@@', ' a', '-b', '+B', '+b2', ' c').replaceAll(
      '\n',
      '\r\n',
    ),
    after: { 'win.txt': 'a\r\nB\r\nb2\r\nc\r\n' },
    changed: [{ path: 'win.txt', kind: 'update' }],
  },
  {
    name: 'keeps a byte order mark and a missing final newline',
    files: { 'f.txt': '\uFEFFa\nb' },
    patch: patch('*** Update File: f.txt', '@@', ' a', '-b', '+c'),
    after: { 'f.txt': '\uFEFFa\nc' },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
  {
    name: 'applies two hunks on one file in turn, and an update to a file it adds',
    files: { 'f.txt': 'a\nb\n' },
    patch: patch(
      '*** Update File: f.txt',
      '@@',
      '-a',
      '+A',
      '*** Add File: g.txt',
      '+one',
      '*** Update File: f.txt',
      '@@',
      '-b',
      '+B',
      '*** Update File: g.txt',
      '@@',
      ' one',
      '+two',
    ),
    after: { 'f.txt': 'A\nB\n', 'g.txt': 'one\ntwo\n' },
    changed: [
      { path: 'f.txt', kind: 'update' },
      { path: 'g.txt', kind: 'add' },
    ],
  },
  {
    // Codex's dialect: Add File on an existing path replaces the file.
    name: 'replaces an existing file named by Add File, as Codex does',
    files: { 'a.txt': 'old\n', 'b.txt': 'b\n' },
    patch: patch('*** Add File: a.txt', '+new', '+content'),
    after: { 'a.txt': 'new\ncontent\n', 'b.txt': 'b\n' },
    changed: [{ path: 'a.txt', kind: 'update' }],
  },
  {
    // Codex's dialect: Move to onto an existing path replaces the file there.
    name: 'moves a file onto an existing one, replacing it, as Codex does',
    files: { 'a.txt': 'one\ntwo\n', 'b.txt': 'b\n' },
    patch: patch('*** Update File: a.txt', '*** Move to: b.txt', '@@', '-two', '+2'),
    after: { 'b.txt': 'one\n2\n' },
    changed: [{ path: 'a.txt', kind: 'move', movedTo: 'b.txt' }],
  },
  {
    name: 'replaces a file deleted earlier in the same patch',
    files: { 'f.txt': 'old\n' },
    patch: patch('*** Delete File: f.txt', '*** Add File: f.txt', '+new'),
    after: { 'f.txt': 'new\n' },
    changed: [{ path: 'f.txt', kind: 'update' }],
  },
];

describe('applyPatch', () => {
  it.each(goodCases)('$name', async (testCase) => {
    const root = await workspaceWith(testCase.files);
    const result = await applyPatch(root, testCase.patch);
    expect(result.changed).toEqual(testCase.changed);
    expect(await snapshot(root)).toEqual(testCase.after);
  });

  it('edits through a directory symlink inside the workspace, under the real path', async () => {
    const root = await workspaceWith({ 'src/a.ts': 'let a = 1;\n' });
    await symlink(path.join(root, 'src'), path.join(root, 'inner'));
    const result = await applyPatch(
      root,
      patch('*** Update File: inner/a.ts', '@@', '-let a = 1;', '+let a = 2;'),
    );
    expect(result.changed).toEqual([{ path: 'src/a.ts', kind: 'update' }]);
    expect(await snapshot(root)).toEqual({
      'src/a.ts': 'let a = 2;\n',
      inner: `-> ${path.join(root, 'src')}`,
    });
  });

  it('accepts an absolute path inside the workspace', async () => {
    const root = await workspaceWith({ 'a.txt': 'a\n' });
    await applyPatch(root, patch(`*** Update File: ${path.join(root, 'a.txt')}`, '@@', '-a', '+b'));
    expect(await snapshot(root)).toEqual({ 'a.txt': 'b\n' });
  });

  it('keeps the permission bits of updated and moved files', async () => {
    const root = await workspaceWith({ 'run.sh': 'echo hi\n', 'tool.sh': 'echo tool\n' });
    await chmod(path.join(root, 'run.sh'), 0o755);
    await chmod(path.join(root, 'tool.sh'), 0o750);
    await applyPatch(
      root,
      patch(
        '*** Update File: run.sh',
        '@@',
        '-echo hi',
        '+echo hello',
        '*** Update File: tool.sh',
        '*** Move to: bin/tool.sh',
      ),
    );
    expect((await stat(path.join(root, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(root, 'bin/tool.sh'))).mode & 0o777).toBe(0o750);
  });
});

/** Applies `text` expecting `kind` of error; proves the workspace did not change at all. */
async function expectRefused<E extends Error>(
  root: string,
  text: string,
  kind: new (...args: never[]) => E,
): Promise<E> {
  const before = await snapshot(root);
  const error = await applyPatch(root, text).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(kind);
  expect(await snapshot(root)).toEqual(before);
  return error as E;
}

describe('applyPatch refusals (nothing written)', () => {
  it('changes no file at all when the last hunk of several does not match', async () => {
    const root = await workspaceWith({
      'a.txt': 'a\n',
      'b.txt': 'b\n',
      'c.txt': 'c1\nc2\n',
      'd/e.txt': 'e\n',
    });
    const error = await expectRefused(
      root,
      patch(
        '*** Update File: a.txt',
        '@@',
        '-a',
        '+A',
        '*** Add File: new/file.txt',
        '+new',
        '*** Delete File: b.txt',
        '*** Update File: d/e.txt',
        '*** Move to: d/f.txt',
        '*** Update File: c.txt',
        '@@',
        ' c1',
        '-c3',
        '+C3',
      ),
      PatchApplyError,
    );
    expect(error.hunk).toBe(5);
    expect(error.path).toBe('c.txt');
    expect(error.message).toMatch(
      /^hunk 5 \(\*\*\* Update File: c\.txt, patch line 11\), chunk 1 of 1/,
    );
  });

  it('leaves a file Add File would replace untouched when a later hunk fails', async () => {
    const root = await workspaceWith({ 'a.txt': 'keep\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
    await expectRefused(
      root,
      patch(
        '*** Add File: a.txt',
        '+replaced',
        '*** Update File: b.txt',
        '*** Move to: c.txt',
        '*** Update File: c.txt',
        '@@',
        '-nope',
        '+x',
      ),
      PatchApplyError,
    );
  });

  it('keeps the replaced file’s permission bits when Add File overwrites it', async () => {
    const root = await workspaceWith({ 'run.sh': 'echo old\n' });
    await chmod(path.join(root, 'run.sh'), 0o755);
    await applyPatch(root, patch('*** Add File: run.sh', '+echo new'));
    expect((await stat(path.join(root, 'run.sh'))).mode & 0o777).toBe(0o755);
  });

  it('explains a partial match: the chunk, the expected lines and the closest place', async () => {
    const root = await workspaceWith({
      'app.py': 'def foo():\n    x = 1\n    y = 2\n    return x + y\n',
    });
    const error = await expectRefused(
      root,
      patch(
        '*** Update File: app.py',
        '@@ def foo():',
        '     x = 1',
        '-    y = 3',
        '+    y = 4',
        '     return x + y',
      ),
      PatchApplyError,
    );
    expect(error.message).toBe(
      [
        'hunk 1 (*** Update File: app.py, patch line 2), chunk 1 of 1 (patch line 3, "@@ def foo():"): these 3 lines were not found in app.py after line 1:',
        '      x = 1',
        '      y = 3',
        '      return x + y',
        'The closest match is at lines 2-4 of app.py (2 of 3 non-blank lines agree). Where they differ:',
        '  line 3 is "    y = 2"; the patch expects "    y = 3"',
        'app.py around there:',
        '  1 | def foo():',
        '  2 |     x = 1',
        '  3 |     y = 2',
        '  4 |     return x + y',
        'Copy the lines exactly from the file (re-read it if unsure) and send the corrected patch.',
      ].join('\n'),
    );
  });

  it('names the second chunk and says when its lines lie above the previous chunk', async () => {
    const root = await workspaceWith({ 'f.txt': 'a\nb\nc\nd\n' });
    const error = await expectRefused(
      root,
      patch('*** Update File: f.txt', '@@', '-c', '+C', '@@', '-a', '+A'),
      PatchApplyError,
    );
    expect(error.message).toMatch(
      /^hunk 1 \(\*\*\* Update File: f\.txt, patch line 2\), chunk 2 of 2 \(patch line 6\): this line was not found in f\.txt after line 3:\n {2}a\n/,
    );
    expect(error.message).toMatch(/They occur at line 1, above line 4 where the search started/);
  });

  it('says which @@ anchor was not found', async () => {
    const root = await workspaceWith({ 'app.py': PY });
    const error = await expectRefused(
      root,
      patch('*** Update File: app.py', '@@ def nope():', '-    return 1', '+    return 2'),
      PatchApplyError,
    );
    expect(error.message).toBe(
      'hunk 1 (*** Update File: app.py, patch line 2), chunk 1 of 1 (patch line 3, "@@ def nope():"): the "@@" line "def nope():" was not found in app.py.',
    );
  });

  it('says when an earlier hunk of the same patch changed the file first', async () => {
    const root = await workspaceWith({ 'f.txt': 'a\nb\n' });
    const error = await expectRefused(
      root,
      patch('*** Update File: f.txt', '@@', '-a', '+A', '*** Update File: f.txt', '@@', '-a', '+x'),
      PatchApplyError,
    );
    expect(error.hunk).toBe(2);
    expect(error.message).toMatch(
      /\nNote: this hunk applies to f\.txt as hunk 1 \(\*\*\* Update File: f\.txt, patch line 2\) of this same patch left it\.$/,
    );
  });

  it('hints when an @@ line is a unified-diff range', async () => {
    const root = await workspaceWith({ 'f.txt': 'a\n' });
    const error = await expectRefused(
      root,
      patch('*** Update File: f.txt', '@@ -1,1 +1,1 @@', '-a', '+b'),
      PatchApplyError,
    );
    expect(error.message).toMatch(/unified-diff line range/);
  });

  it('shows the end of the file when an End of File chunk does not match there', async () => {
    const root = await workspaceWith({ 'f.txt': 'a\nb\nc\n' });
    const error = await expectRefused(
      root,
      patch('*** Update File: f.txt', '@@', '-zzz', '+y', '*** End of File'),
      PatchApplyError,
    );
    expect(error.message).toMatch(
      /not found in f\.txt at its end \(the chunk ends with "\*\*\* End of File"\)/,
    );
    expect(error.message).toMatch(/f\.txt ends with:\n {2}1 \| a\n {2}2 \| b\n {2}3 \| c/);
  });

  it.each([
    [
      'Add over a directory',
      { 'd/x': 'x\n' },
      patch('*** Add File: d', '+x'),
      /cannot add d: d already exists as a directory/,
    ],
    [
      'Add below a file',
      { 'a.txt': 'a\n' },
      patch('*** Add File: a.txt/b.txt', '+x'),
      /cannot add a\.txt\/b\.txt: a\.txt is a file, not a directory/,
    ],
    [
      'Add of the same path twice',
      {},
      patch('*** Add File: n.txt', '+x', '*** Add File: n.txt', '+y'),
      /hunk 2 .*cannot add n\.txt: hunk 1 \(\*\*\* Add File: n\.txt, patch line 2\) already creates it/,
    ],
    [
      'Update of a missing file',
      {},
      patch('*** Update File: missing.txt', '@@', '-a', '+b'),
      /missing\.txt does not exist; to create it, use "\*\*\* Add File: missing\.txt"/,
    ],
    [
      'Delete of a missing file',
      {},
      patch('*** Delete File: missing.txt'),
      /missing\.txt does not exist, so it cannot be deleted/,
    ],
    [
      'Update of a file deleted earlier',
      { 'a.txt': 'a\n' },
      patch('*** Delete File: a.txt', '*** Update File: a.txt', '@@', '-a', '+b'),
      /hunk 2 .*a\.txt no longer exists: hunk 1 \(\*\*\* Delete File: a\.txt, patch line 2\) removed or moved it/,
    ],
    [
      'Update of a directory',
      { 'd/x': 'x\n' },
      patch('*** Update File: d', '@@', '-a', '+b'),
      /d is a directory/,
    ],
    [
      'Update of a binary file',
      { 'bin.dat': Buffer.from([0, 1, 2, 10]) },
      patch('*** Update File: bin.dat', '@@', '-a', '+b'),
      /bin\.dat is not a UTF-8 text file/,
    ],
  ])('refuses %s', async (_name, files, text, message) => {
    const root = await workspaceWith(files);
    const error = await expectRefused(root, text, PatchApplyError);
    expect(error.message).toMatch(message);
  });

  it('refuses malformed patches with PatchParseError', async () => {
    const root = await workspaceWith({ 'a.txt': 'a\n' });
    const error = await expectRefused(
      root,
      patch('*** Update File: a.txt', '@@', '-a', 'b'),
      PatchParseError,
    );
    expect(error.line).toBe(5);
  });
});

describe('applyPatch path escapes (nothing written)', () => {
  let outside: string;
  afterEach(async () => {
    await removeWorkspace(outside);
  });

  async function escapeWorkspace(): Promise<string> {
    outside = await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
    const root = await workspaceWith({ 'a.txt': 'a\n', '.git/config': '[core]\n' });
    await symlink(outside, path.join(root, 'escape'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link'));
    await mkdir(path.join(root, 'sub'));
    return root;
  }

  it.each([
    ['a .. escape', '*** Add File: ../x.txt\n+x', /outside the workspace/],
    ['a nested .. escape', '*** Add File: sub/../../x.txt\n+x', /outside the workspace/],
    ['an absolute path outside', '*** Delete File: /etc/passwd', /outside the workspace/],
    ['an Update of /etc/passwd', '*** Update File: /etc/passwd\n@@\n+x', /outside the workspace/],
    ['a directory symlink to outside', '*** Add File: escape/new.txt\n+x', /symbolic link/],
    [
      'a file symlink to outside',
      '*** Update File: secret-link\n@@\n-secret\n+mine',
      /symbolic link/,
    ],
    [
      'a Move to outside',
      '*** Update File: a.txt\n*** Move to: ../moved.txt',
      /outside the workspace/,
    ],
    ['.git/config', '*** Update File: .git/config\n@@\n+[evil]', /inside \.git/],
    ['an Add into .git', '*** Add File: .git/hooks/pre-commit\n+#!/bin/sh', /inside \.git/],
  ])('refuses %s', async (_name, hunk, message) => {
    const root = await escapeWorkspace();
    const outsideBefore = await snapshot(outside);
    // A valid hunk first: it must not be written either.
    const text = patch('*** Update File: a.txt', '@@', '-a', '+changed', ...hunk.split('\n'));
    const error = await expectRefused(root, text, PatchApplyError);
    expect(error.hunk).toBe(2);
    expect(error.message).toMatch(/^hunk 2 \(/);
    expect(error.message).toMatch(message);
    expect(await snapshot(outside)).toEqual(outsideBefore);
  });
});
