import { z } from 'zod';
import { isStrictCompatible, outputSpecFromZod } from '../../agent/final-output.js';
import type { FinalOutputSpec } from '../../agent/final-output.js';

/**
 * What a fix run must answer when it finishes. Patchling does not take its word for the
 * tests: it runs them again itself before anything is published (see fixChanges).
 */
export const FixOutput = z.strictObject({
  summary: z
    .string()
    .min(1)
    .describe('What was wrong and what the change does, for the pull request. Markdown.'),
  files_changed: z.array(z.string()).describe('The files you changed, from the repository root.'),
  tests: z
    .array(
      z.strictObject({
        command: z.string().describe('The command you ran.'),
        passed: z.boolean(),
        notes: z.string().describe('What it showed, in a sentence or two.'),
      }),
    )
    .describe('The test runs that settle whether the fix works, last one last.'),
  risks: z
    .string()
    .describe('What could still be wrong, or what a reviewer should check. May be empty.'),
});
export type FixOutput = z.infer<typeof FixOutput>;

export function fixOutputSpec(): FinalOutputSpec {
  const spec = outputSpecFromZod('fix', FixOutput);
  if (!isStrictCompatible(spec.schema)) {
    throw new Error('The FixOutput schema is not strict compatible; see isStrictCompatible.');
  }
  return spec;
}
