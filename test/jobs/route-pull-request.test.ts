import { describe, expect, it } from 'vitest';
import { supersedeKey } from '../../src/jobs/job.js';
import { webhookPayload, TEST_INSTALLATION } from '../support/webhook-payloads.js';
import { BOT_LOGIN, configFrom, jobOf, reasonOf, route } from './route-helpers.js';

// GitHub's example: Codertocat/Hello-World#2, head "changes" at ec26c3e…, base "master".
const HEAD_SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

describe('routeEvent: pull requests → review', () => {
  it.each(['opened', 'reopened', 'ready_for_review', 'synchronize'])(
    'reviews a pull request on %s',
    (action) => {
      const decision = route('pull_request', webhookPayload('pull_request', action));
      expect(decision).toEqual({
        action: 'run',
        job: {
          kind: 'review',
          repo: { owner: 'Codertocat', repo: 'Hello-World', installationId: expect.any(Number) },
          pullNumber: 2,
          headSha: HEAD_SHA,
          headRef: 'changes',
          baseRef: 'master',
          headRepo: 'Codertocat/Hello-World',
          isFork: false,
          requester: { login: 'Codertocat', type: 'User' },
          trigger: 'pull_request',
        },
      });
    },
  );

  it('carries the installation an App receives, or the one the trigger passes', () => {
    const payload = webhookPayload('pull_request', 'opened');
    expect(jobOf(route('pull_request', payload)).repo.installationId).toBe(TEST_INSTALLATION.id);
    expect(jobOf(route('pull_request', payload, { installationId: 7 })).repo.installationId).toBe(
      7,
    );
  });

  it('gives reviews of the same pull request one supersede key', () => {
    const opened = jobOf(route('pull_request', webhookPayload('pull_request', 'opened')));
    const pushed = jobOf(route('pull_request', webhookPayload('pull_request', 'synchronize')));
    expect(supersedeKey(opened)).toBe('review:Codertocat/Hello-World#2');
    expect(supersedeKey(pushed)).toBe(supersedeKey(opened));
  });

  it('marks a pull request from a fork, so the review never pushes', () => {
    const payload = webhookPayload('pull_request', 'opened', {
      pull_request: { head: { repo: { full_name: 'mallory/Hello-World' } } },
    });
    expect(jobOf(route('pull_request', payload))).toMatchObject({
      isFork: true,
      headRepo: 'mallory/Hello-World',
    });
  });

  it('skips drafts unless review.drafts is on', () => {
    const payload = webhookPayload('pull_request', 'opened', { pull_request: { draft: true } });
    expect(reasonOf(route('pull_request', payload))).toBe(
      'pull request #2 is a draft (review.drafts: false)',
    );
    const config = configFrom('review:\n  drafts: true\n');
    expect(jobOf(route('pull_request', payload, { config })).kind).toBe('review');
  });

  it('does nothing automatically when review.auto is off, and says so', () => {
    const config = configFrom('review:\n  auto: false\n');
    const decision = route('pull_request', webhookPayload('pull_request', 'opened'), { config });
    expect(decision).toEqual({
      action: 'ignore',
      reason: 'automatic reviews are off (review.auto: false)',
    });
  });

  it('ignores a closed pull request', () => {
    const payload = webhookPayload('pull_request', 'synchronize', {
      pull_request: { state: 'closed' },
    });
    expect(reasonOf(route('pull_request', payload))).toBe('pull request #2 is closed');
  });

  it.each(['closed', 'labeled', 'edited', 'converted_to_draft'] as const)(
    'ignores pull_request.%s',
    (action) => {
      const payload = webhookPayload('pull_request', action === 'edited' ? 'opened' : action, {
        action,
      });
      expect(reasonOf(route('pull_request', payload))).toBe(`pull_request.${action} is not routed`);
    },
  );

  it('ignores pull requests from bots unless allowlisted', () => {
    const payload = webhookPayload('pull_request', 'opened', {
      sender: { login: 'dependabot[bot]', type: 'Bot' },
    });
    expect(reasonOf(route('pull_request', payload))).toBe(
      'dependabot[bot] is a bot not listed in bots.allow',
    );
    const config = configFrom('bots:\n  allow: ["dependabot[bot]"]\n');
    expect(jobOf(route('pull_request', payload, { config })).requester).toEqual({
      login: 'dependabot[bot]',
      type: 'Bot',
    });
  });

  it("ignores Patchling's own pushes, even when allowlisted", () => {
    const payload = webhookPayload('pull_request', 'synchronize', {
      sender: { login: BOT_LOGIN, type: 'Bot' },
    });
    const config = configFrom(`bots:\n  allow: ["${BOT_LOGIN}"]\n`);
    expect(reasonOf(route('pull_request', payload, { config }))).toBe(
      "the pull request event is Patchling's own",
    );
  });

  it('ignores a pull request whose head repository was deleted', () => {
    const payload = webhookPayload('pull_request', 'synchronize', {
      pull_request: { head: { repo: null } },
    });
    expect(reasonOf(route('pull_request', payload))).toBe('the head repository of #2 was deleted');
  });

  it('ignores a payload that lacks the fields routing relies on, naming one', () => {
    const payload = webhookPayload('pull_request', 'opened', {
      pull_request: { head: { sha: undefined } },
    });
    expect(reasonOf(route('pull_request', payload))).toMatch(
      /^the pull_request payload lacks fields Patchling relies on \(pull_request\.head\.sha: /,
    );
    expect(reasonOf(route('pull_request', 'garbage'))).toBe(
      'the pull_request payload has no action',
    );
  });
});

describe('routeEvent: scans', () => {
  it('scans on workflow_dispatch at the dispatched ref', () => {
    const payload = webhookPayload('workflow_dispatch', undefined);
    expect(jobOf(route('workflow_dispatch', payload))).toEqual({
      kind: 'scan',
      repo: { owner: 'octo-org', repo: 'octo-repo', installationId: TEST_INSTALLATION.id },
      ref: 'refs/heads/main',
      trigger: 'workflow_dispatch',
      requester: { login: 'octocat', type: 'User' },
    });
  });

  it('ignores a workflow_dispatch sent by a bot', () => {
    const payload = webhookPayload('workflow_dispatch', undefined, {
      sender: { login: 'renovate[bot]', type: 'Bot' },
    });
    expect(reasonOf(route('workflow_dispatch', payload))).toBe(
      'renovate[bot] is a bot not listed in bots.allow',
    );
  });

  it("scans on schedule, using the Action's repository when the payload has none", () => {
    const actionRepository = { owner: 'octo-org', repo: 'octo-repo', ref: 'refs/heads/main' };
    const payload = { schedule: '0 3 * * *' };
    expect(jobOf(route('schedule', payload, { actionRepository }))).toEqual({
      kind: 'scan',
      repo: { owner: 'octo-org', repo: 'octo-repo' },
      ref: 'refs/heads/main',
      trigger: 'schedule',
    });
    expect(reasonOf(route('schedule', payload))).toBe('the schedule payload names no repository');
  });

  it('scans the default branch on a schedule payload that names its repository', () => {
    const { repository } = webhookPayload('workflow_dispatch', undefined);
    const payload = { schedule: '0 3 * * *', repository, sender: { login: 'x[bot]', type: 'Bot' } };
    // The sender of a schedule is whoever last edited the workflow: not a requester.
    expect(jobOf(route('schedule', payload))).toMatchObject({
      kind: 'scan',
      ref: 'refs/heads/main',
      trigger: 'schedule',
    });
  });

  it("scans on the App's configured schedule only when scan.schedule is set", () => {
    const { repository } = webhookPayload('workflow_dispatch', undefined);
    const payload = { repository, installation: TEST_INSTALLATION };
    expect(reasonOf(route('patchling.configured_schedule', payload))).toBe(
      'no scan.schedule is configured',
    );
    const config = configFrom('scan:\n  schedule: "0 3 * * 1"\n');
    expect(jobOf(route('patchling.configured_schedule', payload, { config }))).toEqual({
      kind: 'scan',
      repo: { owner: 'octo-org', repo: 'octo-repo', installationId: TEST_INSTALLATION.id },
      ref: 'refs/heads/main',
      trigger: 'configured_schedule',
    });
  });
});

describe('routeEvent: everything else', () => {
  it.each(['push', 'installation', 'check_run', 'release'])('ignores %s events', (name) => {
    expect(route(name, { action: 'created' })).toEqual({
      action: 'ignore',
      reason: `Patchling does not handle ${name} events`,
    });
  });

  it('ignores a real installation payload', () => {
    const payload = webhookPayload('installation', 'created');
    expect(reasonOf(route('installation', payload))).toBe(
      'Patchling does not handle installation events',
    );
  });
});

describe('routeEvent: an invalid .github/patchling.yml', () => {
  const config = { problems: ['review.max_comments: expected a number, got "ten"'] };

  it('answers on a new pull request instead of reviewing on guesses', () => {
    const decision = route('pull_request', webhookPayload('pull_request', 'opened'), { config });
    expect(decision).toEqual({
      action: 'refuse',
      repo: { owner: 'Codertocat', repo: 'Hello-World', installationId: TEST_INSTALLATION.id },
      issueNumber: 2,
      reason:
        '`.github/patchling.yml` on the default branch is invalid, so Patchling did not run:\n' +
        '- review.max_comments: expected a number, got "ten"',
    });
  });

  it('stays quiet on each push, so the answer is not repeated', () => {
    const decision = route('pull_request', webhookPayload('pull_request', 'synchronize'), {
      config,
    });
    expect(reasonOf(decision)).toBe(
      '.github/patchling.yml is invalid: review.max_comments: expected a number, got "ten"',
    );
    expect(decision.action).toBe('ignore');
  });

  it('does not scan, and has nowhere to answer', () => {
    const decision = route('workflow_dispatch', webhookPayload('workflow_dispatch', undefined), {
      config,
    });
    expect(decision.action).toBe('ignore');
  });

  it('answers the person who asked with a command', () => {
    const payload = webhookPayload('issue_comment', 'created', {
      comment: { body: '/patchling fix' },
    });
    const decision = route('issue_comment', payload, { config });
    expect(decision).toMatchObject({ action: 'refuse', issueNumber: 1 });
    expect(reasonOf(decision)).toMatch(/^@Codertocat, `\.github\/patchling\.yml` on the default/);
  });

  it('stays silent on comments that are not addressed to Patchling', () => {
    const payload = webhookPayload('issue_comment', 'created');
    expect(route('issue_comment', payload, { config })).toEqual({
      action: 'ignore',
      reason: 'the comment is not addressed to Patchling',
    });
  });
});
