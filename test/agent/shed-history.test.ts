import { describe, expect, it } from 'vitest';
import { boundImages, imagesOf, shedForSize } from '../../src/agent/shed-history.js';
import type { ConversationItem } from '../../src/model/types.js';

const image = (label: string, bytes: number) =>
  ({ type: 'image', mimeType: 'image/png', dataBase64: 'A'.repeat(bytes), label }) as const;
const userImages = (...labels: string[]): ConversationItem => ({
  type: 'message',
  role: 'user',
  content: labels.map((label) => image(label, 1000)),
});
const head: ConversationItem[] = [userImages('task.png')];

describe('boundImages', () => {
  it('changes nothing while the images fit', () => {
    const history = [...head, userImages('a.png', 'b.png')];
    expect(boundImages(history, 1, { maxBytes: 3000, maxImages: 3 })).toBeUndefined();
  });

  it('stubs the oldest images until half the byte budget is left, never the task’s own', () => {
    const history = [...head, ...['a', 'b', 'c', 'd'].map((n) => userImages(`${n}.png`))];
    const shed = boundImages(history, 1, { maxBytes: 4800, maxImages: 100 })!;
    // 5000 bytes > 4800: the oldest go until at most 2400 are left; the head image stays.
    expect(shed.imagesDropped).toBe(3);
    expect(imagesOf(shed.history).map((i) => i.item)).toEqual([0, 4]);
    expect(JSON.stringify(shed.history[1])).toContain('Image a.png was shown here earlier');
    // The input is left as it was: the caller decides when to replace its history.
    expect(imagesOf(history)).toHaveLength(5);
  });
});

describe('shedForSize', () => {
  it('keeps the two newest images and shortens old long outputs only', () => {
    const long = 'x'.repeat(10_000);
    const history: ConversationItem[] = [
      ...head,
      { type: 'function_call', callId: 'c1', name: 'shell', arguments: '{}' },
      { type: 'function_call_output', callId: 'c1', output: long },
      userImages('a.png', 'b.png', 'c.png'),
      ...Array.from({ length: 8 }, (_, i): ConversationItem => ({
        type: 'function_call_output',
        callId: `r${i}`,
        output: i === 7 ? long : 'short',
      })),
    ];
    const shed = shedForSize(history, 1)!;
    expect(shed).toMatchObject({ imagesDropped: 1, outputsShortened: 1 });
    const outputs = shed.history.flatMap((i) => (i.type === 'function_call_output' ? [i] : []));
    expect(outputs[0]!.output.length).toBeLessThan(2500);
    expect(outputs[0]!.output).toContain('8000 more characters');
    expect(outputs.at(-1)!.output).toBe(long);
  });

  it('says there is nothing to shed rather than retrying the same request', () => {
    expect(shedForSize([...head, userImages('a.png')], 1)).toBeUndefined();
  });
});
