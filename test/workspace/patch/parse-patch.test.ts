import { describe, expect, it } from 'vitest';
import { parsePatch } from '../../../src/workspace/patch/parse-patch.js';
import { PatchParseError } from '../../../src/workspace/patch/patch-errors.js';
import type { ParsedPatch } from '../../../src/workspace/patch/patch-types.js';
import { patch } from './workspace-fixture.js';

const context = (text: string) => ({ kind: 'context', text }) as const;
const remove = (text: string) => ({ kind: 'remove', text }) as const;
const add = (text: string) => ({ kind: 'add', text }) as const;

function parseError(text: string): PatchParseError {
  try {
    parsePatch(text);
  } catch (error) {
    if (error instanceof PatchParseError) return error;
    throw error;
  }
  throw new Error('expected a PatchParseError');
}

describe('parsePatch', () => {
  it('parses add, delete and update-with-move hunks exactly', () => {
    const parsed = parsePatch(
      patch(
        '*** Add File: path/add.py',
        '+abc',
        '+',
        '+def',
        '*** Delete File: path/delete.py',
        '*** Update File: path/update.py',
        '*** Move to: path/update2.py',
        '@@ def f():',
        '-    pass',
        '+    return 123',
      ),
    );
    expect(parsed).toEqual<ParsedPatch>({
      hunks: [
        { type: 'add', path: 'path/add.py', contents: 'abc\n\ndef\n', line: 2 },
        { type: 'delete', path: 'path/delete.py', line: 6 },
        {
          type: 'update',
          path: 'path/update.py',
          moveTo: 'path/update2.py',
          line: 7,
          chunks: [
            {
              anchors: ['def f():'],
              lines: [remove('    pass'), add('    return 123')],
              isEndOfFile: false,
              line: 9,
            },
          ],
        },
      ],
    });
  });

  it('parses several chunks, a first chunk without @@, empty context lines, End of File', () => {
    const parsed = parsePatch(
      patch(
        '*** Update File: a.py',
        ' import os',
        '+import sys',
        '',
        '@@',
        '-x = 1',
        '+x = 2',
        '@@ class A:',
        '@@     def f(self):',
        '-        return 1',
        '+        return 2',
        '@@',
        ' last',
        '+appended',
        '*** End of File',
      ),
    );
    expect(parsed.hunks).toEqual([
      {
        type: 'update',
        path: 'a.py',
        moveTo: undefined,
        line: 2,
        chunks: [
          {
            anchors: [],
            lines: [context('import os'), add('import sys'), context('')],
            isEndOfFile: false,
            line: 3,
          },
          { anchors: [], lines: [remove('x = 1'), add('x = 2')], isEndOfFile: false, line: 6 },
          {
            anchors: ['class A:', '    def f(self):'],
            lines: [remove('        return 1'), add('        return 2')],
            isEndOfFile: false,
            line: 9,
          },
          { anchors: [], lines: [context('last'), add('appended')], isEndOfFile: true, line: 13 },
        ],
      },
    ]);
  });

  it('accepts a pure rename (Move to without chunks) and blank lines between hunks', () => {
    const parsed = parsePatch(
      patch('*** Update File: old.txt', '*** Move to: new.txt', '', '*** Delete File: x'),
    );
    expect(parsed.hunks).toEqual([
      { type: 'update', path: 'old.txt', moveTo: 'new.txt', chunks: [], line: 2 },
      { type: 'delete', path: 'x', line: 5 },
    ]);
  });

  it('is lenient about the wrapper the way Codex is: whitespace, CRLF, a heredoc', () => {
    const expected = parsePatch(patch('*** Add File: a.txt', '+hi'));
    expect(
      parsePatch(`\n\n  *** Begin Patch \n*** Add File: a.txt\n+hi\n *** End Patch\n\n`),
    ).toEqual({ hunks: [{ ...expected.hunks[0], line: 4 }] });
    expect(
      parsePatch('*** Begin Patch\r\n*** Add File: a.txt\r\n+hi\r\n*** End Patch\r\n'),
    ).toEqual(expected);
    for (const opener of ["<<'EOF'", '<<EOF', '<<"EOF"']) {
      expect(parsePatch(`${opener}\n${patch('*** Add File: a.txt', '+hi')}\nEOF\n`)).toEqual({
        hunks: [{ ...expected.hunks[0], line: 3 }],
      });
    }
  });

  it.each([
    ['an empty input', '', 1, /the patch is empty/],
    [
      'a missing Begin Patch',
      'hello\n*** Add File: a\n+x\n*** End Patch',
      1,
      /first line .* "\*\*\* Begin Patch", not "hello"/,
    ],
    [
      'a missing End Patch',
      '*** Begin Patch\n*** Add File: a\n+x',
      3,
      /last line .* "\*\*\* End Patch", not "\+x"/,
    ],
    [
      'a heredoc without End Patch',
      "<<'EOF'\n*** Begin Patch\n*** Add File: a\n+x\nEOF",
      4,
      /last line/,
    ],
    ['no hunks', '*** Begin Patch\n*** End Patch', 2, /no hunks/],
    [
      'an unknown header',
      patch('*** Rename File: a'),
      2,
      /"\*\*\* Rename File: a" is not a hunk header/,
    ],
    [
      'a second End Patch',
      patch('*** Delete File: a', '*** End Patch', '*** Delete File: b'),
      3,
      /only once/,
    ],
    [
      'an empty Add File',
      patch('*** Add File: a.txt', '*** Delete File: b'),
      2,
      /Add File hunk for 'a.txt' has no lines/,
    ],
    ['an Add File without a path', patch('*** Add File:', '+x'), 2, /needs a path/],
    [
      'a blank line inside an Add File',
      patch('*** Add File: a', '+x', '', '+y'),
      5,
      /blank line 4 ended the Add File hunk for 'a'/,
    ],
    [
      'an unprefixed line after an Add File',
      patch('*** Add File: a', '+x', 'y'),
      4,
      /"y" is neither a line of the added file 'a'/,
    ],
    [
      'a line without a prefix inside an update',
      patch('*** Update File: a', '@@', ' foo', 'bar'),
      5,
      /"bar" in chunk 1 of the Update File hunk for 'a' has no prefix/,
    ],
    [
      'a tab-indented line inside an update',
      patch('*** Update File: a', '@@', '\tfoo'),
      4,
      /has no prefix/,
    ],
    [
      'an Update File without chunks',
      patch('*** Update File: a', '*** Delete File: b'),
      2,
      /Update File hunk for 'a' has no changes/,
    ],
    [
      'an @@ without lines',
      patch('*** Update File: a', '@@ def f():'),
      3,
      /chunk 1 .* has no lines/,
    ],
    [
      'an @@ glued to its anchor',
      patch('*** Update File: a', '@@', '-x', '@@def f():'),
      5,
      /has no prefix/,
    ],
    [
      'a misplaced Move to',
      patch('*** Update File: a', '@@', '-x', '*** Move to: b'),
      5,
      /must directly follow its "\*\*\* Update File:" line/,
    ],
    [
      'End of File without lines',
      patch('*** Update File: a', '@@', '*** End of File'),
      4,
      /has no lines/,
    ],
    [
      'lines after End of File without @@',
      patch('*** Update File: a', '@@', '-x', '*** End of File', ' y'),
      6,
      /ended with "\*\*\* End of File", so a new chunk must start with "@@"/,
    ],
  ])('refuses %s with the line number', (_name, text, line, message) => {
    const error = parseError(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`Invalid patch, line ${line}: `)).toBe(true);
  });
});
