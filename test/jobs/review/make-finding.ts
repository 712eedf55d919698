import type { Finding } from '../../../src/jobs/review/finding.js';

/** A valid finding, with the fields a test cares about overridden. */
export function makeFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    title: 'Off-by-one in page count',
    explanation: 'The last page is never shown.',
    priority: 'P1',
    confidence: 0.9,
    path: 'src/pages.ts',
    start_line: 10,
    end_line: 12,
    suggestion: null,
    ...overrides,
  };
}
