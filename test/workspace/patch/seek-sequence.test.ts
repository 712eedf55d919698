import { describe, expect, it } from 'vitest';
import { seekSequence } from '../../../src/workspace/patch/seek-sequence.js';

describe('seekSequence', () => {
  it('finds an exact match at or after start', () => {
    expect(seekSequence(['a', 'b', 'a', 'b'], ['a', 'b'], 0, false)).toBe(0);
    expect(seekSequence(['a', 'b', 'a', 'b'], ['a', 'b'], 1, false)).toBe(2);
    expect(seekSequence(['a', 'b'], ['a', 'b'], 1, false)).toBeUndefined();
  });

  it('ignores trailing, then leading and trailing whitespace', () => {
    expect(seekSequence(['foo   ', 'bar\t'], ['foo', 'bar'], 0, false)).toBe(0);
    expect(seekSequence(['    foo  ', '\tbar'], ['foo', '  bar'], 0, false)).toBe(0);
  });

  it('normalizes typographic quotes, dashes and non-breaking spaces last', () => {
    const file = ['say(\u201Chi\u201D) \u2014 it\u2019s\u00A0fine'];
    expect(seekSequence(file, [`say("hi") - it's fine`], 0, false)).toBe(0);
    expect(seekSequence([`it's`], ['it\u2019s'], 0, false)).toBe(0);
  });

  it('prefers an exact match further down over a fuzzy one nearby', () => {
    expect(seekSequence(['  x', 'x'], ['x'], 0, false)).toBe(1);
  });

  it('does not guess beyond those passes', () => {
    expect(seekSequence(['fooo'], ['foo'], 0, false)).toBeUndefined();
    expect(seekSequence(['f o o'], ['foo'], 0, false)).toBeUndefined();
    expect(seekSequence(['foo'], ['FOO'], 0, false)).toBeUndefined();
  });

  it('matches only at the very end when asked to', () => {
    expect(seekSequence(['a', 'b', 'a'], ['a'], 0, true)).toBe(2);
    expect(seekSequence(['a', 'b'], ['a'], 0, true)).toBeUndefined();
    expect(seekSequence(['a', 'b'], [], 0, true)).toBe(2);
  });

  it('returns undefined for a pattern longer than the file', () => {
    expect(seekSequence(['one'], ['one', 'two'], 0, false)).toBeUndefined();
  });
});
