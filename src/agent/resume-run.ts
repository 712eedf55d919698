import { UserError } from '../errors.js';
import { ZERO_USAGE, type ConversationItem, type Usage } from '../model/types.js';
import type { AgentEvent, RunSetup } from './events.js';
import type { ResumePoint } from './run-agent.js';

export type ResumeState =
  | {
      readonly kind: 'finished';
      readonly setup: RunSetup;
      readonly final: Extract<AgentEvent, { type: 'run_finished' }>;
    }
  | { readonly kind: 'resumable'; readonly setup: RunSetup; readonly point: ResumePoint };

/**
 * Rebuilds a run from its log: the setup it started with, and the conversation as it
 * stood when the process stopped. Tool results already logged stay; calls without a
 * result are the ones that did not finish, and runAgent runs those first. A run stopped
 * by a budget (turns, tokens, deadline) is resumable too, with the budgets resume is given.
 */
export function resumeStateFromLog(events: readonly AgentEvent[]): ResumeState {
  const first = events[0];
  if (first?.type !== 'run_started')
    throw new UserError('The run log does not start with run_started.');
  const { type: _type, at: _at, ...setup } = first;

  let history: ConversationItem[] = [...setup.initialItems];
  let turns = 0;
  let usage: Usage = ZERO_USAGE;
  let requestBytes = 0;
  for (const event of events) {
    switch (event.type) {
      case 'items':
        history.push(...event.items);
        break;
      case 'compacted':
      case 'history_shed':
        history = [...event.history];
        break;
      case 'turn_started':
        turns = Math.max(turns, event.turn);
        break;
      case 'usage':
        usage = event.total;
        requestBytes = event.requestBytes;
        break;
      case 'run_finished':
        // A run stopped by a budget goes on when resumed with a larger one.
        if (event.status === 'budget_exceeded') break;
        return { kind: 'finished', setup, final: event };
      default:
        break;
    }
  }
  return { kind: 'resumable', setup, point: { history, turns, usage, requestBytes } };
}
