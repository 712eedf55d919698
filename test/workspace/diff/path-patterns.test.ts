import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../../src/workspace/diff/glob-to-regexp.js';
import { matchIgnorePaths } from '../../../src/workspace/diff/ignore-paths.js';
import { parseGitattributes } from '../../../src/workspace/diff/parse-gitattributes.js';

describe('globToRegExp', () => {
  it.each([
    ['*.ts', 'a.ts', true],
    ['*.ts', 'src/a.ts', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/deep/a.ts', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['**/*.snap', 'a.snap', true],
    ['**/*.snap', 'x/y/a.snap', true],
    ['dist/**', 'dist/a/b.js', true],
    ['dist/**', 'dist', false],
    ['dist/**', 'distant/a.js', false],
    ['**', 'any/thing', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['file[0-9].txt', 'file7.txt', true],
    ['file[!0-9].txt', 'file7.txt', false],
    ['file[!0-9].txt', 'fileX.txt', true],
    ['[]x]', ']', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a**b', 'aXXb', true],
    ['a**b', 'a/b', false],
    ['a.b+(c)', 'a.b+(c)', true],
    ['a.b', 'axb', false],
    ['[unclosed', '[unclosed', true],
  ])('%s on %s → %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});

describe('matchIgnorePaths', () => {
  const ignored = matchIgnorePaths([
    'dist/**',
    '**/*.snap',
    '*.gen.ts',
    '/docs',
    'fixtures/',
    '!fixtures/keep.json',
  ]);

  it.each([
    ['dist/index.js', 'dist/**'],
    ['packages/a/dist/index.js', undefined],
    ['test/__snapshots__/a.test.ts.snap', '**/*.snap'],
    ['src/deep/api.gen.ts', '*.gen.ts'],
    ['docs/guide.md', '/docs'],
    ['src/docs/guide.md', undefined],
    ['test/fixtures/a/b.json', 'fixtures/'],
    ['fixtures/keep.json', undefined],
    ['fixtures', undefined],
    ['src/index.ts', undefined],
  ])('%s → %s', (path, pattern) => {
    expect(ignored(path)).toBe(pattern);
  });

  it('ignores nothing without patterns', () => {
    expect(matchIgnorePaths([])('dist/a.js')).toBeUndefined();
  });
});

describe('parseGitattributes', () => {
  const attributes = parseGitattributes(
    [
      '# comments and blank lines are skipped',
      '',
      '*.pbf binary',
      'api/*.cs linguist-generated=true',
      'vendor/** linguist-vendored',
      'vendor/ours/** -linguist-vendored',
      'gen/** linguist-generated',
      'gen/keep.ts linguist-generated=false',
      'docs/ linguist-documentation',
      '"odd name.txt" linguist-generated',
      '!negated linguist-generated',
      '[attr]mine -diff',
      'reset.txt linguist-generated',
      'reset.txt !linguist-generated',
      'text.txt text eol=crlf\r',
    ].join('\n'),
  );

  it.each([
    ['a/b.pbf', 'binary', true],
    ['api/Client.cs', 'linguist-generated', 'true'],
    ['api/deep/Client.cs', 'linguist-generated', undefined],
    ['vendor/lib/x.js', 'linguist-vendored', true],
    ['vendor/ours/x.js', 'linguist-vendored', false],
    ['gen/a.ts', 'linguist-generated', true],
    ['gen/keep.ts', 'linguist-generated', 'false'],
    ['docs/guide.md', 'linguist-documentation', undefined],
    ['odd name.txt', 'linguist-generated', true],
    ['negated', 'linguist-generated', undefined],
    ['reset.txt', 'linguist-generated', undefined],
    ['text.txt', 'eol', 'crlf'],
    ['src/a.ts', 'linguist-generated', undefined],
  ])('%s: %s = %s', (path, name, value) => {
    expect(attributes.get(path, name)).toBe(value);
  });
});
