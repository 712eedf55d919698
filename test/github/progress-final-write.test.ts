import { describe, expect, it } from 'vitest';
import { createProgressReporter, type ProgressSink } from '../../src/github/progress-reporter.js';
import type { ProgressState } from '../../src/github/progress-state.js';

describe('the final state of a job’s progress', () => {
  it('is written again by failed() when the succeeded() write failed', async () => {
    const written: ProgressState[] = [];
    let failNext = false;
    const sink: ProgressSink = {
      create: async (state) => (written.push(state), 7),
      update: async (_id, state) => {
        if (failNext) {
          failNext = false;
          throw new Error('GitHub answered 502');
        }
        written.push(state);
      },
      load: async () => undefined,
    };
    const reporter = createProgressReporter(sink);
    await reporter.start();
    failNext = true;
    await expect(reporter.succeeded({ summary: 'No findings.' })).rejects.toThrow(/502/);
    await reporter.failed('Publishing the review failed: GitHub answered 502.');
    expect(written.at(-1)?.status).toBe('failed');
    // And once final, it stays final.
    await reporter.succeeded({ summary: 'late' });
    expect(written.at(-1)?.status).toBe('failed');
  });
});
