import { describe, expect, it } from 'vitest';
import { estimateTokens, tail } from '../../src/agent/compact-history.js';
import { mechanicalNote } from '../../src/agent/mechanical-compaction.js';
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

describe('mechanicalNote', () => {
  const patch = (input: string, id: string): ConversationItem => ({
    type: 'function_call',
    callId: id,
    name: 'apply_patch',
    arguments: JSON.stringify({ input }),
  });
  const text = (item: ConversationItem) =>
    item.type === 'message' && item.content[0]?.type === 'text' ? item.content[0].text : '';

  it('states the calls made, the files edited or read, and the last commands', () => {
    const removed = [
      call('s1', JSON.stringify({ command: 'npm test' })),
      output('s1'),
      patch(
        '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n*** Add File: src/new.ts\n+z\n*** Update File: src/old.ts\n*** Move to: src/moved.ts\n*** End Patch',
        'p1',
      ),
      { type: 'function_call', callId: 'r1', name: 'read_file', arguments: '{"path":"README.md"}' },
      { type: 'function_call', callId: 'r2', name: 'read_file', arguments: '{"path":"src/a.ts"}' },
      call('s2', JSON.stringify({ command: ['git', 'diff'] })),
      call('bad', '{"command": "l'),
    ] satisfies ConversationItem[];
    const note = text(mechanicalNote(removed, 'the model called a tool instead of summarising'));
    expect(note).toContain('(the model called a tool instead of summarising)');
    expect(note).toContain('shell ×3, apply_patch ×1, read_file ×2');
    expect(note).toContain(
      'src/a.ts (edited), src/new.ts (edited), src/old.ts (edited), src/moved.ts (edited), README.md (read)',
    );
    expect(note).toContain('`npm test`; `git diff`');
  });

  it('says so when nothing was recorded', () => {
    const note = text(mechanicalNote([say('thinking')], 'no summary'));
    expect(note).toContain('Tool calls made: none.');
    expect(note).toContain('Files touched: none recorded.');
  });
});
