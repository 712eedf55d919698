import { z } from 'zod';

/**
 * A review finding, as the model must report it (the final answer's schema) and as the
 * rest of the review pipeline passes it around. Lines are on the NEW side of the diff
 * (the pull request's head), 1-based, inclusive.
 */
export const Priority = z.enum(['P0', 'P1', 'P2', 'P3']);
export type Priority = z.infer<typeof Priority>;

/**
 * What kind of problem a finding is. With the file and the code of its lines, it is what
 * recognises the same finding across pushes, however the title is worded.
 */
export const ProblemKind = z.enum([
  'bug',
  'security',
  'performance',
  'concurrency',
  'error_handling',
  'resource_leak',
  'api_misuse',
  'maintainability',
  'other',
]);
export type ProblemKind = z.infer<typeof ProblemKind>;

export const Finding = z.strictObject({
  title: z
    .string()
    .min(1)
    .max(120)
    .describe('One line: what is wrong, e.g. "Off-by-one in page count".'),
  explanation: z
    .string()
    .min(1)
    .describe('Why it is a bug this change introduces, and what happens when it bites. Markdown.'),
  priority: Priority.describe(
    'P0: breaks the product or loses data; P1: a real bug users will hit; P2: a bug in an edge case; P3: minor.',
  ),
  confidence: z.number().min(0).max(1).describe('How sure you are, from 0 to 1.'),
  kind: ProblemKind.default('other').describe('The kind of problem.'),
  path: z.string().min(1).describe('File path relative to the repository root.'),
  start_line: z
    .number()
    .int()
    .positive()
    .describe('First line of the problem, on the new side of the diff.'),
  end_line: z
    .number()
    .int()
    .positive()
    .describe('Last line of the problem (the same as start_line for one line).'),
  suggestion: z
    .string()
    .nullable()
    .describe(
      'Optional replacement text for exactly lines start_line..end_line, or null. Only when you are sure it is right.',
    ),
});
/** As the model writes it: `kind` may be missing (then it is "other"). */
export type Finding = z.input<typeof Finding>;

export const ReviewOutput = z.strictObject({
  verdict: z
    .enum(['no_issues', 'issues_found'])
    .describe('no_issues when there is nothing worth reporting.'),
  summary: z
    .string()
    .describe(
      'Two or three sentences for the maintainer: what the change does and what you found.',
    ),
  findings: z
    .array(Finding)
    .describe('The problems, most important first. Empty when there are none.'),
});
export type ReviewOutput = z.input<typeof ReviewOutput>;

export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { P0: 0, P1: 1, P2: 2, P3: 3 };
