import type { Budgets } from '../../agent/run-agent.js';
import type { Usage } from '../../model/types.js';

export interface ScanBudgets {
  /** Turns each agent run of the scan may take. */
  readonly maxTurnsPerRun: number;
  /** Tokens (input + output) for the whole scan. */
  readonly maxTokens?: number | undefined;
  /** Epoch ms: the whole scan's deadline. */
  readonly deadlineAt?: number | undefined;
}

/**
 * Share of the token budget the threat model and the hunt may spend: the rest is kept
 * for proving, so a scan that finds something can still check it.
 */
export const HUNT_SHARE = 0.7;

export interface BudgetTracker {
  spend(usage: Usage): void;
  readonly spent: () => number;
  /**
   * The budgets of the next run, or why there is no room for one: `share` of the token
   * budget may have been spent when it starts.
   */
  next(
    share: number,
  ):
    | { readonly ok: true; readonly budgets: Budgets }
    | { readonly ok: false; readonly reason: string };
}

/** Tokens and time for one scan, spent run by run; the clock is passed in. */
export function trackBudget(budgets: ScanBudgets, now: () => number): BudgetTracker {
  let spent = 0;
  return {
    spend: (usage) => {
      spent += usage.totalTokens;
    },
    spent: () => spent,
    next: (share) => {
      if (budgets.deadlineAt !== undefined && now() >= budgets.deadlineAt) {
        return { ok: false, reason: 'the scan reached its time limit' };
      }
      if (budgets.maxTokens !== undefined) {
        const allowed = Math.floor(budgets.maxTokens * share);
        if (spent >= allowed) {
          return {
            ok: false,
            reason: `the scan spent its token budget (${spent} of ${budgets.maxTokens}${share < 1 ? `, ${Math.round(share * 100)}% for this pass` : ''})`,
          };
        }
        return {
          ok: true,
          budgets: {
            maxTurns: budgets.maxTurnsPerRun,
            maxTokens: budgets.maxTokens - spent,
            ...(budgets.deadlineAt === undefined ? {} : { deadlineAt: budgets.deadlineAt }),
          },
        };
      }
      return {
        ok: true,
        budgets: {
          maxTurns: budgets.maxTurnsPerRun,
          ...(budgets.deadlineAt === undefined ? {} : { deadlineAt: budgets.deadlineAt }),
        },
      };
    },
  };
}
