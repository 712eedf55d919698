import { describe, expect, it } from 'vitest';
import { estimateTokens, tail } from '../../src/agent/compact-history.js';
import type { ConversationItem } from '../../src/model/types.js';

const call = (id: string, args = '{}'): ConversationItem => ({
  type: 'function_call',
  callId: id,
  name: 'shell',
  arguments: args,
});
const output = (id: string, text = 'ok'): ConversationItem => ({
  type: 'function_call_output',
  callId: id,
  output: text,
});
const say = (text: string): ConversationItem => ({
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text }],
});

/** Every tool result in `items` answers a call that is also in `items`. */
function orphanedOutputs(items: readonly ConversationItem[]): string[] {
  const calls = new Set(
    items.flatMap((item) => (item.type === 'function_call' ? [item.callId] : [])),
  );
  return items.flatMap((item) =>
    item.type === 'function_call_output' && !calls.has(item.callId) ? [item.callId] : [],
  );
}

/** The budget that keeps exactly the last `count` items of `items`. */
const budgetForLast = (items: readonly ConversationItem[], count: number) =>
  estimateTokens(items.slice(items.length - count));

describe('tail', () => {
  it('keeps the newest items that fit, in order', () => {
    const items = [say('first'), call('a'), output('a'), say('last')];
    expect(tail(items, Number.POSITIVE_INFINITY)).toEqual(items);
    expect(tail(items, budgetForLast(items, 3))).toEqual([call('a'), output('a'), say('last')]);
    expect(tail(items, 0)).toEqual([]);
  });

  it('never starts with a tool result whose call was cut', () => {
    const items = [
      say('start'),
      call('a', JSON.stringify({ command: 'x'.repeat(400) })),
      output('a'),
      say('end'),
    ];
    // The budget fits the output and the final message, not the (big) call before them.
    const kept = tail(items, budgetForLast(items, 2));
    expect(kept).toEqual([say('end')]);
    expect(kept[0]?.type).not.toBe('function_call_output');
  });

  it('drops every leading result of a parallel turn whose calls were cut', () => {
    const items = [call('a'), call('b'), output('a'), output('b'), say('end')];
    const kept = tail(items, budgetForLast(items, 3));
    expect(kept).toEqual([say('end')]);
  });

  it('keeps no result whose call was cut, even behind a call that was kept', () => {
    // One turn made two calls; the first had huge arguments, so the cut falls between them.
    const items = [
      say('start'),
      call('a', JSON.stringify({ command: 'x'.repeat(4000) })),
      call('b'),
      output('a'),
      output('b'),
      say('end'),
    ];
    const kept = tail(items, budgetForLast(items, 4));
    expect(kept[0]).toEqual(call('b'));
    expect(orphanedOutputs(kept)).toEqual([]);
  });
});
