import { describe, expect, it } from 'vitest';
import type { ToolContext, ToolEvent } from '../../src/tools/types.js';
import { hostToolContext } from '../support/host-tool-context.js';
import { createUpdatePlanTool } from '../../src/tools/update-plan.js';

function context(events: ToolEvent[]): ToolContext {
  return hostToolContext('/nonexistent', 'update_plan', { events });
}

describe('update_plan', () => {
  it('emits the plan as a plan_updated event', async () => {
    const events: ToolEvent[] = [];
    const plan = [
      { step: 'Read the failing test', status: 'completed' },
      { step: 'Fix the parser', status: 'in_progress' },
      { step: 'Run the tests', status: 'pending' },
    ] as const;

    const outcome = await createUpdatePlanTool().run(
      { explanation: 'Found the bug.', plan: [...plan] },
      context(events),
    );

    expect(outcome).toEqual({ ok: true, output: 'Plan updated.' });
    expect(events).toEqual([{ type: 'plan_updated', plan }]);
  });

  it('accepts a plan with nothing in progress', async () => {
    const events: ToolEvent[] = [];
    const outcome = await createUpdatePlanTool().run(
      { plan: [{ step: 'Done', status: 'completed' }] },
      context(events),
    );
    expect(outcome.ok).toBe(true);
    expect(events).toHaveLength(1);
  });

  it('rejects two steps in progress and emits nothing', async () => {
    const events: ToolEvent[] = [];
    const outcome = await createUpdatePlanTool().run(
      {
        plan: [
          { step: 'Fix the parser', status: 'in_progress' },
          { step: 'Run the tests', status: 'in_progress' },
        ],
      },
      context(events),
    );
    expect(outcome).toEqual({
      ok: false,
      output:
        'At most one step may be in_progress, but 2 are: "Fix the parser", "Run the tests". Send the plan again with one in_progress.',
    });
    expect(events).toEqual([]);
  });

  it('rejects an unknown status through its schema', () => {
    const result = createUpdatePlanTool().parameters.safeParse({
      plan: [{ step: 'x', status: 'done' }],
    });
    expect(result.success).toBe(false);
  });
});
