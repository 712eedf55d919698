import type { ConversationItem, OutputItem, ParsedArguments } from '../model/types.js';
import type { PendingCall } from './execute-tool-calls.js';
import { replayableArguments } from './replayable-arguments.js';

/**
 * What a turn adds to the history. Function-call arguments are replayed byte for byte
 * when they are a JSON object; anything else (a call cut off at the output limit, a
 * model that wrote prose) is replaced by a valid placeholder that quotes its start,
 * because servers parse replayed arguments: llama-server answers every later request
 * with HTTP 500 "Failed to parse tool call arguments as JSON". The original stays in the
 * run log (the `tool_started` event carries it).
 */
export function toHistoryItems(items: readonly OutputItem[]): ConversationItem[] {
  return items.flatMap((item): ConversationItem[] => {
    switch (item.type) {
      case 'message':
        return item.text === ''
          ? []
          : [{ type: 'message', role: 'assistant', content: [{ type: 'text', text: item.text }] }];
      case 'function_call':
        return [
          {
            type: 'function_call',
            callId: item.callId,
            name: item.name,
            arguments: replayableArguments(item.arguments),
          },
        ];
      case 'reasoning':
        return [item];
      default: {
        const unhandled: never = item;
        throw new Error(`unknown output item ${JSON.stringify(unhandled)}`);
      }
    }
  });
}

/**
 * The calls a turn asks for, as the loop runs them: with the model's own arguments, and
 * for a turn cut off at the output limit, an error that says why they are broken.
 */
export function pendingCalls(items: readonly OutputItem[], cutOff: boolean): PendingCall[] {
  return items.flatMap((item): PendingCall[] => {
    if (item.type !== 'function_call') return [];
    const parsed: ParsedArguments =
      cutOff && !item.parsed.ok
        ? {
            ok: false,
            error: `${item.parsed.error}: your answer was cut off at the output limit before the arguments were complete. Make the call again with shorter arguments (split a large file into several edits)`,
          }
        : item.parsed;
    return [{ callId: item.callId, name: item.name, arguments: item.arguments, parsed }];
  });
}

/** A user message of one text part: what Patchling itself says to the model. */
export function userText(text: string): ConversationItem {
  return { type: 'message', role: 'user', content: [{ type: 'text', text }] };
}

/** The text of a turn's messages, joined: its answer when it made no call. */
export function messageText(items: readonly OutputItem[]): string {
  return items
    .flatMap((item) => (item.type === 'message' ? [item.text] : []))
    .join('\n')
    .trim();
}
