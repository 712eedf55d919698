import { describe, expect, it } from 'vitest';
import { createProgressRenderer } from '../../src/triggers/cli/render-progress.js';
import { ZERO_USAGE } from '../../src/model/types.js';

function render(events: Parameters<ReturnType<typeof createProgressRenderer>>[0][]): string {
  let now = 0;
  let out = '';
  const sink = createProgressRenderer(
    (text) => (out += text),
    () => (now += 500),
  );
  for (const event of events) sink(event);
  return out;
}

describe('progress lines', () => {
  it('are plain lines with a timestamp, and say when old images were stubbed', () => {
    const out = render([
      { type: 'turn_started', turn: 12 },
      {
        type: 'history_shed',
        reason: 'image_budget',
        imagesDropped: 20,
        outputsShortened: 0,
        history: [],
      },
      {
        type: 'history_shed',
        reason: 'request_too_large',
        imagesDropped: 18,
        outputsShortened: 3,
        history: [],
      },
    ]);
    expect(out).toBe(
      '[  0.5s] turn 12\n' +
        '[  1.0s]   20 older image(s) replaced by stubs to keep requests small\n' +
        '[  1.5s]   request too large for the provider: dropped 18 image(s), shortened 3 old output(s); retrying\n',
    );
    // Nothing a CI log would show as garbage: no carriage returns, no escape sequences.
    expect(out).not.toContain('\r');
    expect(out).not.toContain(String.fromCharCode(27));
  });

  it('names the flag that raises the turn budget when it stopped the run', () => {
    const finished = {
      type: 'run_finished',
      status: 'budget_exceeded',
      message: 'stopped: the maximum number of turns (3) was reached',
      turns: 3,
      usage: ZERO_USAGE,
      requestBytes: 0,
    } as const;
    expect(render([{ ...finished, budget: 'max_turns' }])).toContain(
      'was reached (raise it with --max-turns N) · 3 turns',
    );
    expect(
      render([{ ...finished, budget: 'deadline', message: 'stopped: the deadline passed' }]),
    ).not.toContain('--max-turns');
  });

  it("leaves a failed run's reason to the caller's last line when the caller prints it", () => {
    const failed = {
      type: 'run_finished',
      status: 'failed',
      message: 'could not reach local at http://127.0.0.1:9/v1 — gave up after 6 attempts',
      turns: 1,
      usage: ZERO_USAGE,
      requestBytes: 0,
    } as const;
    const lines: string[] = [];
    const sink = createProgressRenderer(
      (text) => lines.push(text),
      () => 0,
      {
        reasonPrintedAfter: true,
      },
    );
    sink(failed);
    sink({ ...failed, status: 'completed', message: 'done' });
    expect(lines).toEqual([
      '[  0.0s] failed · 1 turns · 0 tokens\n',
      '[  0.0s] completed: done · 1 turns · 0 tokens\n',
    ]);
    // Without the option the reason is on the progress line (reviews, whose batches fail alone).
    expect(render([failed])).toContain('failed: could not reach local');
  });
});
