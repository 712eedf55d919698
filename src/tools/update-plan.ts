import { z } from 'zod';
import type { Tool } from './types.js';

const parameters = z.object({
  explanation: z.string().optional().describe('Why the plan changed, in a sentence.'),
  plan: z
    .array(
      z.object({
        step: z.string().min(1).describe('What to do, in a few words.'),
        status: z.enum(['pending', 'in_progress', 'completed']),
      }),
    )
    .describe('The whole plan, in order; at most one step in_progress.'),
});

/**
 * update_plan: the model keeps a short checklist; each update goes out as a
 * `plan_updated` event, which the progress comment and run log show. Nothing is stored
 * here: the event stream is the record.
 */
export function createUpdatePlanTool(): Tool<typeof parameters> {
  return {
    name: 'update_plan',
    description:
      'Record your plan as a short list of steps, each pending, in_progress or completed. ' +
      'Send the whole plan every time; mark a step completed when done and the next in_progress.',
    parameters,
    mutating: false,
    run: async (args, context) => {
      const active = args.plan.filter((item) => item.status === 'in_progress');
      if (active.length > 1) {
        return {
          ok: false,
          output: `At most one step may be in_progress, but ${active.length} are: ${active
            .map((item) => JSON.stringify(item.step))
            .join(', ')}. Send the plan again with one in_progress.`,
        };
      }
      context.emit({
        type: 'plan_updated',
        plan: args.plan.map(({ step, status }) => ({ step, status })),
      });
      return { ok: true, output: 'Plan updated.' };
    },
  };
}
