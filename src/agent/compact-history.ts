import { ModelBehaviorError } from '../errors.js';
import { ContextWindowExceeded } from '../model/errors.js';
import type {
  ConversationItem,
  ModelClient,
  ModelRequest,
  ModelTurn,
  StreamTurnOptions,
} from '../model/types.js';
import { loadPrompt } from './load-prompt.js';

/** Share of the context window the kept recent items may fill after a compaction. */
const RECENT_SHARE = 0.15;
/** Share of the window the summary request's history may fill before we drop its oldest part. */
const SUMMARY_INPUT_SHARE = 0.7;
const IMAGE_TOKENS = 1500;

export interface CompactionResult {
  readonly history: ConversationItem[];
  readonly turn: ModelTurn;
}

/**
 * Replaces the middle of the conversation with the model's own hand-off summary
 * (prompts/compact.md): the fixed head (environment, AGENTS.md, task) stays, then the
 * summary, then the most recent items. The summary request keeps the run's instructions
 * and tools, so even it reuses the cached prefix.
 */
export async function compactHistory(
  model: ModelClient,
  base: Omit<ModelRequest, 'input'>,
  history: readonly ConversationItem[],
  headLength: number,
  options: StreamTurnOptions,
): Promise<CompactionResult> {
  const head = history.slice(0, headLength);
  const body = history.slice(headLength);
  const window = model.profile.contextWindow;
  const ask: ConversationItem = {
    type: 'message',
    role: 'user',
    content: [{ type: 'text', text: loadPrompt('compact') }],
  };

  // If even the summary request overflows, drop the oldest half of what remains and ask again.
  let budget = window * SUMMARY_INPUT_SHARE;
  for (let attempt = 0; ; attempt++) {
    const kept = tail(body, budget);
    try {
      const turn = await model.streamTurn({ ...base, input: [...head, ...kept, ask] }, options);
      const summary = turn.items
        .flatMap((item) => (item.type === 'message' ? [item.text] : []))
        .join('\n')
        .trim();
      if (summary === '')
        throw new ModelBehaviorError(
          'The model answered the compaction request without a summary.',
        );
      const summaryItem: ConversationItem = {
        type: 'message',
        role: 'user',
        content: [{ type: 'text', text: loadPrompt('compact-summary', { summary }) }],
      };
      return { history: [...head, summaryItem, ...tail(body, window * RECENT_SHARE)], turn };
    } catch (error) {
      if (!(error instanceof ContextWindowExceeded) || attempt >= 3 || kept.length === 0)
        throw error;
      budget = estimateTokens(kept) / 2;
    }
  }
}

/**
 * The newest items that fit in `maxTokens`, with no tool result whose call was cut off
 * (providers reject an answer to a call they cannot see).
 */
export function tail(items: readonly ConversationItem[], maxTokens: number): ConversationItem[] {
  let start = items.length;
  let used = 0;
  while (start > 0) {
    const cost = estimateItemTokens(items[start - 1]!);
    if (used + cost > maxTokens) break;
    used += cost;
    start -= 1;
  }
  const kept = items.slice(start);
  // A cut can fall between the calls of one turn: drop every result whose call is gone,
  // not only those at the front.
  const calls = new Set(
    kept.flatMap((item) => (item.type === 'function_call' ? [item.callId] : [])),
  );
  return kept.filter((item) => item.type !== 'function_call_output' || calls.has(item.callId));
}

export function estimateTokens(items: readonly ConversationItem[]): number {
  return items.reduce((sum, item) => sum + estimateItemTokens(item), 0);
}

/** About four characters a token; an image costs a fixed amount, not its base64 length. */
function estimateItemTokens(item: ConversationItem): number {
  if (item.type === 'message') {
    return item.content.reduce(
      (sum, part) => sum + (part.type === 'image' ? IMAGE_TOKENS : Math.ceil(part.text.length / 4)),
      4,
    );
  }
  return Math.ceil(JSON.stringify(item).length / 4);
}
