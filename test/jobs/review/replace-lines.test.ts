import { describe, expect, it } from 'vitest';
import { replaceLines } from '../../../src/jobs/review/replace-lines.js';

function applied(original: string, start: number, end: number, suggestion: string): string {
  const result = replaceLines(original, start, end, suggestion);
  if (!result.ok) throw new Error(result.reason);
  return result.text;
}

describe('replaceLines', () => {
  it('replaces exactly the lines given, with or without a trailing newline in the suggestion', () => {
    expect(applied('a\nb\nc\nd\n', 2, 3, 'X\nY')).toBe('a\nX\nY\nd\n');
    expect(applied('a\nb\nc\nd\n', 2, 3, 'X\nY\n')).toBe('a\nX\nY\nd\n');
    expect(applied('a\nb\nc\nd\n', 2, 2, 'X\nY\nZ')).toBe('a\nX\nY\nZ\nc\nd\n');
  });

  it('keeps CRLF files CRLF', () => {
    expect(applied('a\r\nb\r\nc\r\n', 2, 2, 'X\nY\n')).toBe('a\r\nX\r\nY\r\nc\r\n');
  });

  it('keeps a missing final newline missing, and a present one present', () => {
    expect(applied('a\nb', 2, 2, 'X\n')).toBe('a\nX');
    expect(applied('a\nb\n', 2, 2, 'X')).toBe('a\nX\n');
  });

  it('deletes the lines for an empty suggestion', () => {
    expect(applied('a\nb\nc\n', 2, 2, '')).toBe('a\nc\n');
    expect(applied('a\nb\nc', 3, 3, '')).toBe('a\nb');
    expect(applied('a\n', 1, 1, '')).toBe('');
  });

  it('keeps a line of its own for a suggestion that is one empty line', () => {
    expect(applied('a\nb\nc\n', 2, 2, '\n')).toBe('a\n\nc\n');
  });

  it('says when nothing changes', () => {
    expect(replaceLines('a\nb\n', 2, 2, 'b\n')).toEqual({
      ok: true,
      text: 'a\nb\n',
      changed: false,
    });
    expect(replaceLines('a\r\nb\r\n', 1, 1, 'a')).toMatchObject({ changed: false });
  });

  it.each([
    ['past the end', 'a\nb\n', 2, 3, 'lines 2-3 are outside the file, which has 2 lines'],
    ['in an empty file', '', 1, 1, 'lines 1-1 are outside the file, which has 0 lines'],
    ['inverted', 'a\nb\n', 2, 1, 'invalid line range 2-1'],
    ['at line 0', 'a\n', 0, 1, 'invalid line range 0-1'],
  ])('refuses a range %s', (_name, original, start, end, reason) => {
    expect(replaceLines(original, start, end, 'x')).toEqual({ ok: false, reason });
  });

  it('counts a last line without a newline as a line', () => {
    expect(applied('a\nb', 2, 2, 'B')).toBe('a\nB');
  });
});
