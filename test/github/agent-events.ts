import type { AgentEvent } from '../../src/agent/events.js';
import type { PlanStep } from '../../src/tools/types.js';

export function planUpdated(...plan: PlanStep[]): AgentEvent {
  return { type: 'plan_updated', plan };
}

export function modelRetry(delayMs: number, reason = 'rate limited by provider'): AgentEvent {
  return {
    type: 'model_retry',
    turn: 2,
    retry: {
      type: 'retry',
      reason,
      kind: 'rate_limit',
      delayMs,
      attempt: 2,
      delaySource: 'retry-after',
      message: '429 Too Many Requests',
    },
  };
}

export const plan: PlanStep[] = [
  { step: 'Read the issue', status: 'completed' },
  { step: 'Write the fix', status: 'in_progress' },
  { step: 'Run the tests', status: 'pending' },
];
