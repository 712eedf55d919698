import { describe, expect, it, vi } from 'vitest';
import { createProgressComment } from '../../src/github/progress-comment.js';
import type { StartTimer } from '../../src/github/progress-reporter.js';
import type { ProgressState } from '../../src/github/progress-state.js';
import { renderProgressBody } from '../../src/github/render-progress.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { modelRetry, plan, planUpdated } from './agent-events.js';
import {
  githubApi,
  manualClock,
  MODEL_KEY,
  redactor,
  repo,
  testClient,
  useNock,
  type Sent,
} from './helpers.js';

const R = '/repos/octo-org/hello-world';
const CREATE = '/repos/{owner}/{repo}/issues/{issue_number}/comments';
const UPDATE = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
const subject = { jobId: 'job-42', jobKind: 'fix' };

function bodies(sent: Sent[]): string[] {
  return sent.map((s) => (s.body as { body: string }).body);
}

function validate(sent: Sent[]): void {
  for (const s of sent) {
    if (s.method === 'POST') expectValidGitHubRequest('POST', CREATE, s.body);
    if (s.method === 'PATCH') expectValidGitHubRequest('PATCH', UPDATE, s.body);
  }
}

function reporter(
  overrides: { minUpdateIntervalMs?: number; now?: () => number; startTimer?: StartTimer } = {},
) {
  const warnings: string[] = [];
  const progress = createProgressComment({
    octokit: testClient(),
    repo,
    issueNumber: 7,
    ...subject,
    redactor,
    minUpdateIntervalMs: 0,
    log: { warn: (message) => warnings.push(message) },
    ...overrides,
  });
  return { progress, warnings };
}

describe('progress comment', () => {
  useNock();

  it('is posted as queued at once, updated with the plan and the wait, and finalized as done', async () => {
    const clock = manualClock();
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 555 });
    scope.patch(`${R}/issues/comments/555`).times(2).reply(200, { id: 555 });
    const { progress, warnings } = reporter({ now: clock.now });

    expect(await progress.start()).toBe(555);
    expect(bodies(sent)).toEqual([
      [
        '<!-- patchling:progress job=job-42 -->',
        '',
        '🕒 **Patchling fix** is queued.',
        '',
        '<sub>Elapsed: 0 s</sub>',
        `<!-- patchling:state {"status":"queued","startedAt":${clock.now()},"plan":[]} -->`,
      ].join('\n'),
    ]);

    clock.advance(5_000);
    progress.running('cloning the repository');
    progress.onAgentEvent(planUpdated(...plan));
    progress.onAgentEvent(modelRetry(12_000));
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(bodies(sent)[1]).toBe(
      [
        '<!-- patchling:progress job=job-42 -->',
        '',
        '🔄 **Patchling fix** is running: cloning the repository',
        '',
        '**Plan**',
        '- [x] Read the issue',
        '- [ ] **Write the fix** _(in progress)_',
        '- [ ] Run the tests',
        '',
        '⏳ rate limited by provider, retrying in 12 s',
        '',
        '<sub>Elapsed: 5 s</sub>',
        `<!-- patchling:state {"status":"running","startedAt":${clock.now() - 5_000},"plan":[{"step":"Read the issue","status":"completed"},{"step":"Write the fix","status":"in_progress"},{"step":"Run the tests","status":"pending"}]} -->`,
      ].join('\n'),
    );

    clock.advance(60_000);
    await progress.succeeded({
      summary: 'Opened #12 with the fix.',
      link: 'https://github.com/octo-org/hello-world/pull/12',
    });
    const final = bodies(sent)[2] ?? '';
    expect(final).toContain('✅ **Patchling fix** is done.\n\nOpened #12 with the fix.');
    expect(final).toContain('[View the result](https://github.com/octo-org/hello-world/pull/12)');
    expect(final).toContain('- [x] Read the issue');
    expect(final).toContain('<sub>Took: 1 min 5 s</sub>');
    expect(final).not.toContain('⏳');
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      `POST ${R}/issues/7/comments`,
      `PATCH ${R}/issues/comments/555`,
      `PATCH ${R}/issues/comments/555`,
    ]);
    validate(sent);
    expect(warnings).toEqual([]);
  });

  it('debounces: many updates inside the interval become no write, and the final state is still written', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 555 });
    scope.patch(`${R}/issues/comments/555`).reply(200, { id: 555 });
    const { progress } = reporter({ minUpdateIntervalMs: 60_000 });

    await progress.start();
    for (let i = 1; i <= 20; i += 1) {
      progress.onAgentEvent(planUpdated({ step: `step ${i}`, status: 'in_progress' }));
    }
    await progress.failed('The tests kept failing. Last output:\n  at foo (bar.ts:1)');

    expect(sent).toHaveLength(2);
    const final = bodies(sent)[1] ?? '';
    expect(final).toContain('❌ **Patchling fix** failed: The tests kept failing.\n');
    expect(final).toContain('- [ ] **step 20** _(in progress)_');
    expect(final).not.toContain('step 19');
    validate(sent);
  });

  it('writes at most once per interval, always the latest state', async () => {
    const clock = manualClock();
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 555 });
    scope.patch(`${R}/issues/comments/555`).times(3).reply(200, { id: 555 });
    const { progress } = reporter({
      minUpdateIntervalMs: 200,
      now: clock.now,
      startTimer: clock.startTimer,
    });

    await progress.start();
    progress.running('working');
    clock.advance(0);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    await progress.settled();
    for (const [first, second, write] of [
      ['a', 'b', 3],
      ['c', 'd', 4],
    ] as const) {
      progress.onAgentEvent(planUpdated({ step: first, status: 'in_progress' }));
      progress.onAgentEvent(planUpdated({ step: second, status: 'in_progress' }));
      // Nothing until the interval since the last write has passed; then the latest state.
      clock.advance(199);
      await progress.settled();
      expect(sent).toHaveLength(write - 1);
      clock.advance(1);
      await vi.waitFor(() => expect(sent).toHaveLength(write));
      await progress.settled();
      expect(bodies(sent)[write - 1]).toContain(`**${second}**`);
      expect(bodies(sent)[write - 1]).not.toContain(`**${first}**`);
    }
    expect(clock.pending()).toBe(0);
  });

  it('writes the move from queued to running at once, then throttles', async () => {
    const clock = manualClock();
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 555 });
    scope.patch(`${R}/issues/comments/555`).times(2).reply(200, { id: 555 });
    const { progress } = reporter({
      minUpdateIntervalMs: 10_000,
      now: clock.now,
      startTimer: clock.startTimer,
    });

    await progress.start();
    progress.running('cloning the repository');
    clock.advance(0);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(bodies(sent)[1]).toContain('is running: cloning the repository');
    await progress.settled();

    progress.running('reviewing');
    clock.advance(9_999);
    await progress.settled();
    expect(sent).toHaveLength(2);
    clock.advance(1);
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    expect(bodies(sent)[2]).toContain('is running: reviewing');
    await progress.settled();
  });

  it('reaches a final state even when the first post failed', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(422, { message: 'Validation Failed' });
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 556 });
    const { progress } = reporter();

    await expect(progress.start()).rejects.toMatchObject({ status: 422 });
    await progress.failed('Could not clone.');

    expect(progress.id).toBe(556);
    expect(bodies(sent)[1]).toContain('❌ **Patchling fix** failed: Could not clone.');
  });

  it('survives a failed intermediate update and still writes the final state', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 555 });
    scope.patch(`${R}/issues/comments/555`).reply(404, { message: 'Not Found' });
    scope.patch(`${R}/issues/comments/555`).reply(200, { id: 555 });
    const clock = manualClock();
    const { progress, warnings } = reporter({ now: clock.now, minUpdateIntervalMs: 60_000 });

    await progress.start();
    clock.advance(60_000);
    progress.onAgentEvent(planUpdated(...plan));
    await vi.waitFor(() => expect(warnings).toHaveLength(1));
    // The retry of the update waits a whole interval; the final state does not wait.
    await progress.succeeded({ summary: 'Done.' });

    expect(warnings[0]).toMatch(/^progress update failed/);
    expect(bodies(sent)[2]).toContain('✅');
  });

  it('redacts secrets and defuses mentions and HTML in model-written text', async () => {
    const { scope, sent } = githubApi();
    scope.post(`${R}/issues/7/comments`).reply(201, { id: 555 });
    scope.patch(`${R}/issues/comments/555`).reply(200, { id: 555 });
    const { progress } = reporter({ minUpdateIntervalMs: 60_000 });

    await progress.start();
    progress.onAgentEvent(
      planUpdated({ step: `Ask @octocat about ${MODEL_KEY} <!-- hide -->`, status: 'pending' }),
    );
    await progress.failed(`Provider said: bad key ${MODEL_KEY}. More text.`);

    const final = bodies(sent)[1] ?? '';
    expect(final).not.toContain(MODEL_KEY);
    expect(final).toContain('failed: Provider said: bad key [REDACTED].');
    expect(final).toContain('- [ ] Ask @\u200doctocat about [REDACTED] &lt;!-- hide --&gt;');
  });

  describe('after a crash', () => {
    const startedAt = Date.UTC(2025, 0, 2, 3, 0, 0);
    const running: ProgressState = { status: 'running', startedAt, plan };
    const earlierBody = renderProgressBody(subject, running, startedAt + 1_000, redactor);

    it('finalizeAfterCrash marks the existing comment failed, keeping its plan', async () => {
      const { scope, sent } = githubApi();
      scope.get(`${R}/issues/comments/555`).reply(200, {
        id: 555,
        body: earlierBody,
        created_at: new Date(startedAt).toISOString(),
      });
      scope.patch(`${R}/issues/comments/555`).reply(200, { id: 555 });
      const { progress } = reporter({ now: () => startedAt + 125_000 });

      await progress.finalizeAfterCrash(555, 'The worker died while running the job.');

      const final = bodies(sent.filter((s) => s.method === 'PATCH'))[0] ?? '';
      expect(final).toContain(
        '❌ **Patchling fix** failed: The worker died while running the job.',
      );
      expect(final).toContain('- [ ] **Write the fix** _(in progress)_');
      expect(final).toContain('<sub>Took: 2 min 5 s</sub>');
      expect(final).toContain('"status":"failed"');
      validate(sent);
    });

    it('leaves an already final comment alone', async () => {
      const { scope, sent } = githubApi();
      const done = renderProgressBody(
        subject,
        { ...running, status: 'succeeded', summary: 'ok', finishedAt: startedAt + 5_000 },
        startedAt + 5_000,
        redactor,
      );
      scope.get(`${R}/issues/comments/555`).reply(200, { id: 555, body: done, created_at: '' });
      const { progress } = reporter();

      await progress.finalizeAfterCrash(555, 'The worker died.');
      await progress.failed('too late');

      expect(sent.map((s) => s.method)).toEqual(['GET']);
    });

    it('posts the failure anew when the comment is gone', async () => {
      const { scope, sent } = githubApi();
      scope.get(`${R}/issues/comments/555`).reply(404, { message: 'Not Found' });
      scope.post(`${R}/issues/7/comments`).reply(201, { id: 600 });
      const { progress, warnings } = reporter();

      await progress.finalizeAfterCrash(555, 'The worker died.');

      expect(progress.id).toBe(600);
      expect(bodies(sent.filter((s) => s.method === 'POST'))[0]).toContain(
        'failed: The worker died.',
      );
      expect(warnings).toHaveLength(1);
    });

    it('does not edit a comment that belongs to another job', async () => {
      const { scope, sent } = githubApi();
      const other = renderProgressBody(
        { ...subject, jobId: 'job-41' },
        running,
        startedAt,
        redactor,
      );
      scope.get(`${R}/issues/comments/555`).reply(200, { id: 555, body: other, created_at: '' });
      scope.post(`${R}/issues/7/comments`).reply(201, { id: 600 });
      const { progress } = reporter();

      await progress.finalizeAfterCrash(555, 'The worker died.');

      expect(sent.map((s) => s.method)).toEqual(['GET', 'POST']);
    });

    it('resume takes over the comment and keeps the start time', async () => {
      const { scope, sent } = githubApi();
      scope
        .get(`${R}/issues/comments/555`)
        .reply(200, { id: 555, body: earlierBody, created_at: '' });
      scope.patch(`${R}/issues/comments/555`).reply(200, { id: 555 });
      const { progress } = reporter({ now: () => startedAt + 30_000, minUpdateIntervalMs: 60_000 });

      await progress.resume(555);
      await progress.succeeded({ summary: 'Done after a restart.' });

      const final = bodies(sent.filter((s) => s.method === 'PATCH'))[0] ?? '';
      expect(final).toContain('Done after a restart.');
      expect(final).toContain('<sub>Took: 30 s</sub>');
    });
  });
});
