import { describe, expect, it } from 'vitest';
import { OutputCollector } from '../../src/sandbox/output-collector.js';
import { truncateMiddle } from '../../src/sandbox/truncate-middle.js';

describe('OutputCollector', () => {
  it('keeps everything under the cap', () => {
    const collector = new OutputCollector(100);
    collector.push(Buffer.from('hello '));
    collector.push(Buffer.from('world'));
    expect(collector.text()).toBe('hello world');
    expect(collector.truncated).toBe(false);
    expect(collector.totalBytes).toBe(11);
  });

  it('keeps head and tail of a flood in bounded memory and counts the cut', () => {
    const collector = new OutputCollector(20);
    collector.push(Buffer.from('HEAD-0123456789'));
    for (let i = 0; i < 10_000; i++) collector.push(Buffer.from('middle '));
    collector.push(Buffer.from('0123456789-TAIL'));
    const text = collector.text();
    expect(text.startsWith('HEAD-01234')).toBe(true);
    expect(text.endsWith('56789-TAIL')).toBe(true);
    expect(text).toContain(`[... ${collector.totalBytes - 20} bytes of output cut here ...]`);
  });

  it('never splits a UTF-8 character at the cut', () => {
    const collector = new OutputCollector(11);
    collector.push(Buffer.from('ééééééééééééééééééééé'));
    expect(collector.text()).not.toContain('\uFFFD');
  });
});

describe('truncateMiddle', () => {
  it('returns short text unchanged', () => {
    expect(truncateMiddle('a\nb\n', 100)).toEqual({
      text: 'a\nb\n',
      truncated: false,
      cutLines: 0,
      cutBytes: 0,
    });
  });

  it('keeps whole lines from both ends and says how many lines and bytes were cut', () => {
    const text = Array.from({ length: 10_000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const result = truncateMiddle(text, 1024);
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(1024 + 60);
    expect(result.text.startsWith('line 1\nline 2\n')).toBe(true);
    expect(result.text.endsWith('line 10000\n')).toBe(true);
    expect(result.text).toContain(
      `[... ${result.cutLines} lines (${result.cutBytes} bytes) cut ...]`,
    );
    const kept = result.text.split('\n').filter((line) => line.startsWith('line ')).length;
    expect(kept + result.cutLines).toBe(10_000);
  });

  it('cuts inside one huge line rather than dropping it all', () => {
    const result = truncateMiddle('x'.repeat(100_000), 1000);
    expect(result.truncated).toBe(true);
    expect(result.text.startsWith('x'.repeat(400))).toBe(true);
    expect(result.text.endsWith('x'.repeat(400))).toBe(true);
    expect(result.cutBytes).toBe(99_000);
  });
});
