import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/github/format-duration.js';
import { parseProgressBody, progressMarker } from '../../src/github/progress-marker.js';
import {
  applyAgentEvent,
  applyGitHubWait,
  oneSentence,
  type ProgressState,
} from '../../src/github/progress-state.js';
import { progressTitle, renderProgressBody } from '../../src/github/render-progress.js';
import { modelRetry, plan, planUpdated } from './agent-events.js';
import { redactor } from './helpers.js';

const queued: ProgressState = { status: 'queued', startedAt: 0, plan: [] };

describe('progress state', () => {
  it('takes plans and waits from agent events, and forgets the wait once the model answers', () => {
    const waiting = applyAgentEvent(
      applyAgentEvent(queued, planUpdated(...plan)),
      modelRetry(12_000),
    );
    expect(waiting).toMatchObject({
      status: 'running',
      plan,
      lastWait: { reason: 'rate limited by provider', delayMs: 12_000 },
    });
    const answered = applyAgentEvent(waiting, { type: 'items', items: [] });
    expect(answered.lastWait).toBeUndefined();
    expect(applyAgentEvent(answered, { type: 'turn_started', turn: 3 })).toBe(answered);
  });

  it('ignores events after the final state', () => {
    const done: ProgressState = { ...queued, status: 'failed', reason: 'x' };
    expect(applyAgentEvent(done, planUpdated(...plan))).toBe(done);
  });

  it('shows GitHub waits too', () => {
    const state = applyGitHubWait(queued, {
      kind: 'secondary',
      retryAfterSeconds: 60,
      attempt: 1,
      request: 'POST /x',
    });
    expect(renderProgressBody({ jobId: 'j', jobKind: 'fix' }, state, 0, redactor)).toContain(
      '⏳ rate limited by GitHub (secondary limit), retrying in 1 min',
    );
  });

  it('cuts a failure reason to its first sentence on one line', () => {
    expect(oneSentence('Push rejected: branch is protected.\nremote: error at foo')).toBe(
      'Push rejected: branch is protected.',
    );
    expect(oneSentence('connect ECONNREFUSED 127.0.0.1:443')).toBe(
      'connect ECONNREFUSED 127.0.0.1:443',
    );
    // Long text is cut at a word boundary (half a token could be half a secret)...
    const cut = oneSentence('word '.repeat(100));
    expect(cut.length).toBeLessThanOrEqual(300);
    expect(cut).toMatch(/^(word )*word…$/);
    // ...and a single unbroken token longer than the limit is dropped, not cut.
    expect(oneSentence('x'.repeat(400))).toBe('…');
    expect(oneSentence('  ')).toBe('unknown error');
  });

  it('formats durations for people', () => {
    expect([0, 400, 12_000, 65_000, 120_000, 3_900_000].map(formatDuration)).toEqual([
      '0 s',
      '1 s',
      '12 s',
      '1 min 5 s',
      '2 min',
      '1 h 5 min',
    ]);
  });

  it('titles a check run by status and plan', () => {
    expect(progressTitle({ ...queued, status: 'running', plan })).toBe('Running: step 2 of 3');
    expect(progressTitle({ ...queued, status: 'running' })).toBe('Running');
  });
});

describe('progress marker', () => {
  it('reads back the job and the state it rendered', () => {
    const state: ProgressState = {
      status: 'running',
      startedAt: 1234,
      plan: [{ step: 'a --> b <c>', status: 'pending' }],
    };
    const body = renderProgressBody(
      { jobId: 'review:octo/hello#3', jobKind: 'review' },
      state,
      5000,
      redactor,
    );

    expect(body.startsWith(progressMarker('review:octo/hello#3'))).toBe(true);
    expect(parseProgressBody(body)).toEqual({ jobId: 'review:octo/hello#3', state });
    // Nothing in the state can close the HTML comment early.
    expect(body.match(/-->/g)).toHaveLength(2);
  });

  it('keeps a hostile job id inside the marker', () => {
    expect(progressMarker('x --> <b>hi</b>')).toBe(
      '<!-- patchling:progress job=x_-___b_hi_/b_ -->',
    );
  });

  it('is undefined for a body that is not a progress comment, and has no state for a damaged one', () => {
    expect(parseProgressBody('LGTM')).toBeUndefined();
    expect(
      parseProgressBody('<!-- patchling:progress job=j -->\n<!-- patchling:state {oops} -->'),
    ).toEqual({ jobId: 'j' });
  });
});
