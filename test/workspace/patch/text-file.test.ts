import { describe, expect, it } from 'vitest';
import { decodeTextFile, encodeTextFile } from '../../../src/workspace/patch/text-file.js';

describe('decodeTextFile / encodeTextFile', () => {
  it.each([
    ['LF', 'a\nb\n'],
    ['CRLF', 'a\r\nb\r\n'],
    ['mixed endings', 'a\r\nb\nc\r\n'],
    ['no final newline', 'a\nb'],
    ['a byte order mark', '\uFEFFa\r\nb\r\n'],
    ['an empty file', ''],
  ])('round-trips %s byte for byte', (_name, text) => {
    const file = decodeTextFile(Buffer.from(text, 'utf8'));
    expect(file).toBeDefined();
    if (file === undefined) return;
    expect(encodeTextFile(file).toString('utf8')).toBe(text);
  });

  it('reads lines without their endings and picks the dominant ending for new lines', () => {
    const file = decodeTextFile(Buffer.from('\uFEFFa\r\nb\r\nc\n', 'utf8'));
    expect(file).toEqual({
      lines: [
        { text: 'a', ending: '\r\n' },
        { text: 'b', ending: '\r\n' },
        { text: 'c', ending: '\n' },
      ],
      eol: '\r\n',
      bom: true,
      finalNewline: true,
    });
  });

  it('refuses binary content', () => {
    expect(decodeTextFile(Buffer.from([0x61, 0x00, 0x62]))).toBeUndefined();
    expect(decodeTextFile(Buffer.from([0xff, 0xfe, 0x41]))).toBeUndefined();
  });
});
