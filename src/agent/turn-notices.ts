import type { FinishReason } from '../model/types.js';
import type { AgentEvent } from './events.js';
import type { PendingCall } from './execute-tool-calls.js';

type TurnNotice = Extract<AgentEvent, { type: 'turn_notice' }>;

/** A turn cut off at the output token limit: what the user sees on the progress line. */
export function outputLimitNotice(turn: number, calls: readonly PendingCall[]): TurnNotice {
  const broken = calls.filter((call) => !call.parsed.ok).length;
  return {
    type: 'turn_notice',
    turn,
    kind: 'output_limit',
    message:
      calls.length > 0
        ? `turn ${turn} was cut off at the output token limit; ${broken} of its ${calls.length} tool call(s) had incomplete arguments`
        : `turn ${turn} was cut off at the output token limit; asking the model to continue`,
  };
}

/** One sentence on an answer with neither text nor a call. */
export function describeEmptyAnswer(turn: number, finishReason: FinishReason): string {
  const filtered =
    finishReason === 'content_filter' ? "; the provider's content filter stopped it" : '';
  return `turn ${turn} ended with an empty answer (no text, no tool call${filtered})`;
}
