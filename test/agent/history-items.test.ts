import { describe, expect, it } from 'vitest';
import { unansweredCalls } from '../../src/agent/execute-tool-calls.js';
import { pendingCalls, toHistoryItems } from '../../src/agent/history-items.js';
import { replayableArguments } from '../../src/agent/replayable-arguments.js';
import { parseArguments } from '../../src/model/parse-arguments.js';
import type { OutputItem } from '../../src/model/types.js';

const call = (args: string, callId = 'c1'): OutputItem => ({
  type: 'function_call',
  callId,
  name: 'shell',
  arguments: args,
  parsed: parseArguments(args),
});

describe('replayableArguments', () => {
  it('replays a JSON object byte for byte, so the cached prefix stays the same', () => {
    const raw = '{ "command" : "ls -la" }';
    expect(replayableArguments(raw)).toBe(raw);
  });

  it('sends {} for empty arguments', () => {
    expect(replayableArguments('')).toBe('{}');
    expect(replayableArguments('  \n')).toBe('{}');
  });

  it.each([
    ['cut off', '{"command": "cat <<EOF > f'],
    ['an array', '["ls"]'],
    ['a string', '"ls"'],
    ['prose', 'I will run ls now'],
  ])('replaces %s by a JSON object that quotes it', (_name, raw) => {
    const replaced = replayableArguments(raw);
    const value = JSON.parse(replaced) as Record<string, unknown>;
    expect(value.patchling_invalid_arguments).toBe(raw);
    expect(value.note).toMatch(/not a JSON object/);
  });

  it('quotes at most the first 200 characters of long broken arguments', () => {
    const raw = `{"input": "${'x'.repeat(5000)}`;
    const value = JSON.parse(replayableArguments(raw)) as Record<string, string>;
    expect(value.patchling_invalid_arguments).toBe(`${raw.slice(0, 200)}…`);
  });
});

describe('toHistoryItems and pendingCalls', () => {
  it('keeps the original arguments for the run, and the placeholder for the history', () => {
    const items = [call('{"command": "l')];
    const [historyCall] = toHistoryItems(items);
    expect(historyCall).toMatchObject({ type: 'function_call', callId: 'c1' });
    expect(historyCall?.type === 'function_call' && historyCall.arguments).not.toBe(
      '{"command": "l',
    );
    const [pending] = pendingCalls(items, true);
    expect(pending).toMatchObject({ arguments: '{"command": "l', parsed: { ok: false } });
    expect(pending?.parsed.ok === false && pending.parsed.error).toMatch(
      /cut off at the output limit/,
    );
    expect(pendingCalls(items, false)[0]?.parsed).toEqual(
      items[0]!.type === 'function_call' && items[0]!.parsed,
    );
  });

  it('drops empty assistant text and keeps reasoning', () => {
    const reasoning: OutputItem = { type: 'reasoning', id: 'rs_1', summary: ['thought'] };
    expect(toHistoryItems([{ type: 'message', text: '' }, reasoning])).toEqual([reasoning]);
  });

  it('does not run a placeholder on resume', () => {
    const [historyCall] = toHistoryItems([call('{"command": "rm -rf')]);
    const pending = unansweredCalls([historyCall!]);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.parsed).toEqual({
      ok: false,
      error: 'the original arguments were not a JSON object',
    });
  });
});
