import { describeError } from '../errors.js';
import { ContextWindowExceeded, QuotaExhaustedError } from '../model/errors.js';
import type {
  ConversationItem,
  ModelClient,
  ModelRequest,
  ModelTurn,
  StreamTurnOptions,
  Usage,
} from '../model/types.js';
import { addUsage, ZERO_USAGE } from '../model/types.js';
import { messageText, userText } from './history-items.js';
import { loadPrompt } from './load-prompt.js';
import { mechanicalNote } from './mechanical-compaction.js';

/** Share of the context window the kept recent items may fill after a compaction. */
const RECENT_SHARE = 0.15;
/** Share of the window the summary request's history may fill before we drop its oldest part. */
const SUMMARY_INPUT_SHARE = 0.7;
const IMAGE_TOKENS = 1500;
/** Chat-template tokens leaking into the text: the model tried to call a tool in prose. */
const TEMPLATE_LEAK = /<\/?tool_call>|<\|[a-z_]+\|>|\[TOOL_CALLS\]/i;

export interface CompactionResult {
  readonly history: ConversationItem[];
  readonly method: 'summary' | 'mechanical';
  /** Why the summary was not used (mechanical only). */
  readonly why?: string;
  /** What the summary requests cost, all attempts included (zero when none was answered). */
  readonly usage: Usage;
  readonly requestBytes: number;
}

/**
 * Replaces the middle of the conversation, keeping the fixed head (environment,
 * AGENTS.md, task) and the most recent items. First choice: the model's own hand-off
 * summary (prompts/compact.md), asked with `tool_choice: "none"` while the run's
 * instructions and tools stay the same, so the cached prefix still hits. When that
 * answer is unusable (no text, a tool call anyway, template garbage, another overflow,
 * a failed request), a mechanical note of the calls made and files touched takes its
 * place: compaction never ends a run. Only an abort or an exhausted quota gets through.
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
  const recent = tail(body, window * RECENT_SHARE);
  const keptItems = new Set(recent);
  const removed = body.filter((item) => !keptItems.has(item));
  const ask = userText(loadPrompt('compact'));
  let usage = ZERO_USAGE;
  let requestBytes = 0;
  const mechanical = (why: string): CompactionResult => ({
    history: [...head, mechanicalNote(removed, why), ...recent],
    method: 'mechanical',
    why,
    usage,
    requestBytes,
  });

  // If even the summary request overflows, drop the oldest half of what remains and ask again.
  let budget = window * SUMMARY_INPUT_SHARE;
  for (let attempt = 0; ; attempt++) {
    const kept = tail(body, budget);
    let turn: ModelTurn;
    try {
      turn = await model.streamTurn(
        { ...base, toolChoice: 'none', input: [...head, ...kept, ask] },
        options,
      );
    } catch (error) {
      if (options.signal?.aborted || error instanceof QuotaExhaustedError) throw error;
      if (error instanceof ContextWindowExceeded && attempt < 3 && kept.length > 0) {
        budget = estimateTokens(kept) / 2;
        continue;
      }
      return mechanical(`the summary request failed: ${describeError(error)}`);
    }
    usage = addUsage(usage, turn.usage);
    requestBytes += turn.requestBytes;
    const summary = messageText(turn.items);
    const unusable = whyUnusable(turn, summary);
    if (unusable !== undefined) return mechanical(unusable);
    const summaryItem = userText(loadPrompt('compact-summary', { summary }));
    return { history: [...head, summaryItem, ...recent], method: 'summary', usage, requestBytes };
  }
}

/** Why the model's answer cannot stand in for the history, or undefined when it can. */
function whyUnusable(turn: ModelTurn, summary: string): string | undefined {
  if (turn.items.some((item) => item.type === 'function_call'))
    return 'the model called a tool instead of summarising';
  if (summary === '') return 'the model answered without a summary';
  if (TEMPLATE_LEAK.test(summary)) return 'the summary was chat-template markup, not prose';
  return undefined;
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
