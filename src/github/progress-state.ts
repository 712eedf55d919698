import type { AgentEvent } from '../agent/events.js';
import type { PlanStep } from '../tools/types.js';
import type { GitHubRateLimitWait } from './throttle-options.js';

export type ProgressStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** The last wait the run is sitting out, e.g. "rate limited by provider" for 12 s. */
export interface ProgressWait {
  readonly reason: string;
  readonly delayMs: number;
}

/** Everything the progress comment or check run shows. Plain data; the renderers decide the text. */
export interface ProgressState {
  readonly status: ProgressStatus;
  /** Epoch ms when the job was queued. */
  readonly startedAt: number;
  /** Epoch ms of the final state. */
  readonly finishedAt?: number;
  /** What the job is doing now ("cloning", "publishing the review"). */
  readonly detail?: string;
  readonly plan: readonly PlanStep[];
  readonly lastWait?: ProgressWait;
  /** succeeded: what came of it, and where to see it; failed: what was tried, in detail. */
  readonly summary?: string;
  readonly link?: string;
  /** succeeded with nothing to report (a check run's "neutral"). */
  readonly neutral?: boolean;
  /** failed: why, in one sentence. */
  readonly reason?: string;
}

/** Who the progress is about. The job id goes into the hidden marker. */
export interface ProgressSubject {
  readonly jobId: string;
  /** review, fix, scan, help: shown as "Patchling fix". */
  readonly jobKind: string;
}

export function isFinal(status: ProgressStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}

/**
 * Folds one agent event into the state; returns the same object when nothing visible
 * changed, so the reporter can skip a write. Every event kind is decided here.
 */
export function applyAgentEvent(state: ProgressState, event: AgentEvent): ProgressState {
  if (isFinal(state.status)) return state;
  switch (event.type) {
    case 'run_started':
    case 'run_resumed':
      return state.status === 'running' ? state : { ...state, status: 'running' };
    case 'plan_updated':
      return { ...state, status: 'running', plan: event.plan };
    case 'model_retry':
      return {
        ...state,
        status: 'running',
        lastWait: { reason: event.retry.reason, delayMs: event.retry.delayMs },
      };
    // The model answered again: whatever it was waiting for is over.
    case 'turn_started':
    case 'items':
      return state.lastWait ? withoutWait(state) : state;
    case 'tool_started':
    case 'tool_finished':
    case 'usage':
    case 'compacted':
    case 'turn_notice':
    case 'history_shed':
    case 'output_repair':
    case 'run_finished':
      return state;
    default: {
      const unhandled: never = event;
      throw new Error(`unknown agent event ${JSON.stringify(unhandled)}`);
    }
  }
}

export function applyGitHubWait(state: ProgressState, wait: GitHubRateLimitWait): ProgressState {
  if (isFinal(state.status)) return state;
  const reason =
    wait.kind === 'secondary'
      ? 'rate limited by GitHub (secondary limit)'
      : 'rate limited by GitHub';
  return { ...state, lastWait: { reason, delayMs: wait.retryAfterSeconds * 1000 } };
}

function withoutWait(state: ProgressState): ProgressState {
  const { lastWait: _lastWait, ...rest } = state;
  return rest;
}

/**
 * The first sentence of a message, on one line, at most `max` characters: failure reasons
 * are often whole stack-laden error messages.
 */
export function oneSentence(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const end = /[.!?](?=\s|$)/.exec(line);
  const sentence = end ? line.slice(0, end.index + 1) : line;
  if (sentence === '') return 'unknown error';
  return sentence.length <= max ? sentence : `${cutBeforePartialWord(sentence, max - 1)}…`;
}

/**
 * The first `max` characters, without a word cut in two: half a token could be half a
 * secret, which the redactor (matching whole values) would no longer recognize.
 */
export function cutBeforePartialWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  if (/\s/.test(text[max] ?? ' ')) return head;
  const lastSpace = head.search(/\s\S*$/);
  return lastSpace >= 0 ? head.slice(0, lastSpace) : '';
}
