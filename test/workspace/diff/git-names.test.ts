import { describe, expect, it } from 'vitest';
import { parseDiffGitLine } from '../../../src/workspace/diff/parse-diff-git-line.js';
import { readQuoted, unquoteGitPath } from '../../../src/workspace/diff/unquote-git-path.js';

describe('unquoteGitPath', () => {
  it.each([
    ['plain/name.txt', 'plain/name.txt'],
    ['"caf\\303\\251.txt"', 'café.txt'],
    ['"say \\"hi\\".txt"', 'say "hi".txt'],
    ['"tab\\there\\\\back\\nline"', 'tab\there\\back\nline'],
    ['"\\360\\237\\230\\200.md"', '😀.md'],
    ['"😀 unescaped.md"', '😀 unescaped.md'],
  ])('%s → %j', (quoted, name) => {
    expect(unquoteGitPath(quoted)).toBe(name);
  });

  it.each(['"unterminated', '"bad \\q escape"', '"trailing" text'])('refuses %s', (text) => {
    expect(unquoteGitPath(text)).toBeUndefined();
  });

  it('says where a quoted string ends', () => {
    expect(readQuoted('"a\\"b" rest', 0)).toEqual({ value: 'a"b', end: 6 });
  });
});

describe('parseDiffGitLine', () => {
  it.each([
    ['a/x.txt b/x.txt', { oldName: 'x.txt', newName: 'x.txt' }],
    ['a/a b/c b/a b/c', { oldName: 'a b/c', newName: 'a b/c' }],
    ['a/ b/x b/ b/x', { oldName: ' b/x', newName: ' b/x' }],
    ['"a/caf\\303\\251" "b/caf\\303\\251"', { oldName: 'café', newName: 'café' }],
    ['a/plain "b/na\\303\\257ve"', { oldName: 'plain', newName: 'naïve' }],
    ['"a/na\\303\\257ve" b/plain name', { oldName: 'naïve', newName: 'plain name' }],
    ['a/with "quote b/x', undefined],
    ['a/old b/new', undefined],
    ['x/same y/same', undefined],
  ])('%s', (rest, expected) => {
    expect(parseDiffGitLine(rest)).toEqual(expected);
  });
});
