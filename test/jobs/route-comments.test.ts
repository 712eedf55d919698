import { describe, expect, it } from 'vitest';
import { webhookPayload, TEST_INSTALLATION } from '../support/webhook-payloads.js';
import { BOT_LOGIN, configFrom, jobOf, reasonOf, route } from './route-helpers.js';

// GitHub's examples: a comment (id 492700400) by Codertocat on issue Codertocat/Hello-World#1,
// and a review comment (id 284312630) on pull request #2.
const ISSUE_COMMENT_ID = 492700400;
const REVIEW_COMMENT_ID = 284312630;
const REPO = { owner: 'Codertocat', repo: 'Hello-World', installationId: TEST_INSTALLATION.id };
const CODERTOCAT = { login: 'Codertocat', type: 'User' };
const ON_PULL = {
  pull_request: { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' },
};

function issueComment(
  body: string,
  extra: { onPull?: boolean; login?: string; type?: 'User' | 'Bot' } = {},
) {
  return webhookPayload('issue_comment', 'created', {
    comment: {
      body,
      ...(extra.login === undefined
        ? {}
        : { user: { login: extra.login, type: extra.type ?? 'User' } }),
    },
    ...(extra.onPull === true ? { issue: ON_PULL } : {}),
  });
}

describe('routeEvent: commands in issue and pull request comments', () => {
  it('runs /patchling review on a pull request and acknowledges the comment', () => {
    const decision = route(
      'issue_comment',
      issueComment('/patchling review the parser', { onPull: true }),
    );
    expect(decision).toEqual({
      action: 'run',
      acknowledgeCommentId: ISSUE_COMMENT_ID,
      job: {
        kind: 'review',
        repo: REPO,
        pullNumber: 1,
        requester: CODERTOCAT,
        trigger: 'comment',
        commentId: ISSUE_COMMENT_ID,
        instructions: 'the parser',
      },
    });
  });

  it('runs a review on request even when automatic reviews are off', () => {
    const config = configFrom('review:\n  auto: false\n');
    const decision = route('issue_comment', issueComment('/patchling review', { onPull: true }), {
      config,
    });
    expect(jobOf(decision).kind).toBe('review');
  });

  it('refuses /patchling review on an issue with one short answer', () => {
    expect(route('issue_comment', issueComment('/patchling review'))).toEqual({
      action: 'refuse',
      repo: REPO,
      issueNumber: 1,
      reason: '@Codertocat, /patchling review works on pull requests, and this is an issue.',
    });
  });

  it('runs /patchling fix on an issue with its instructions', () => {
    const decision = route(
      'issue_comment',
      issueComment('/patchling fix keep the old API\nand add a test'),
    );
    expect(decision).toEqual({
      action: 'run',
      acknowledgeCommentId: ISSUE_COMMENT_ID,
      job: {
        kind: 'fix',
        repo: REPO,
        issueNumber: 1,
        target: 'issue',
        requester: CODERTOCAT,
        trigger: 'comment',
        commentId: ISSUE_COMMENT_ID,
        instructions: 'keep the old API\nand add a test',
      },
    });
  });

  it('records a fix asked on a pull request as targeting it (the fix job decides about forks)', () => {
    const job = jobOf(route('issue_comment', issueComment('@patchling fix', { onPull: true })));
    expect(job).toMatchObject({ kind: 'fix', target: 'pull_request', issueNumber: 1 });
    expect(job).not.toHaveProperty('instructions');
  });

  it('runs /patchling help, and help with a note for an unknown command', () => {
    expect(jobOf(route('issue_comment', issueComment('/patchling help')))).toEqual({
      kind: 'help',
      repo: REPO,
      issueNumber: 1,
      requester: CODERTOCAT,
      commentId: ISSUE_COMMENT_ID,
    });
    expect(jobOf(route('issue_comment', issueComment('/patchling deploy')))).toMatchObject({
      kind: 'help',
      note: 'unknown command "deploy"',
    });
  });

  it('ignores comments not addressed to Patchling', () => {
    expect(reasonOf(route('issue_comment', webhookPayload('issue_comment', 'created')))).toBe(
      'the comment is not addressed to Patchling',
    );
  });

  it('ignores a command quoted in a reply, or shown in code', () => {
    for (const body of ['> /patchling fix\n\nNo thanks.', '```\n/patchling fix\n```']) {
      expect(reasonOf(route('issue_comment', issueComment(body)))).toBe(
        'the comment is not addressed to Patchling',
      );
    }
  });

  it.each(['edited', 'deleted'] as const)('ignores %s comments, even with a command', (action) => {
    const payload = webhookPayload('issue_comment', action, {
      comment: { body: '/patchling fix' },
    });
    expect(reasonOf(route('issue_comment', payload))).toBe(
      `issue_comment.${action}: only new comments are read`,
    );
  });

  it("ignores Patchling's own comments, which may quote commands", () => {
    const payload = issueComment('/patchling help', { login: BOT_LOGIN, type: 'Bot' });
    expect(reasonOf(route('issue_comment', payload))).toBe("the comment is Patchling's own");
  });

  it('ignores commands from bots', () => {
    const payload = issueComment('/patchling fix', { login: 'github-actions[bot]', type: 'Bot' });
    expect(reasonOf(route('issue_comment', payload))).toBe(
      'github-actions[bot] is a bot not listed in bots.allow',
    );
  });

  it('lets an allowlisted bot ask, by exact login only', () => {
    const config = configFrom('bots:\n  allow: ["dependabot[bot]"]\n');
    const allowed = issueComment('/patchling fix', { login: 'dependabot[bot]', type: 'Bot' });
    expect(jobOf(route('issue_comment', allowed, { config })).requester).toEqual({
      login: 'dependabot[bot]',
      type: 'Bot',
    });
    for (const login of ['evil-dependabot[bot]', 'dependabot[bot]-evil', 'dependabot']) {
      const impostor = issueComment('/patchling fix', { login, type: 'Bot' });
      expect(reasonOf(route('issue_comment', impostor, { config }))).toBe(
        `${login} is a bot not listed in bots.allow`,
      );
    }
  });

  it('treats a person whose login contains "bot" as a person', () => {
    for (const login of ['robot-fan', 'botanist', 'abbot']) {
      const payload = issueComment('/patchling fix', { login, type: 'User' });
      expect(jobOf(route('issue_comment', payload)).requester).toEqual({ login, type: 'User' });
    }
  });

  it('decides bot or person by account type, never by a "[bot]" suffix', () => {
    // A "[bot]" login is no credential: it is routed as the person it claims not to be, and
    // any write it asks for still goes through the permission check.
    const payload = issueComment('/patchling fix', { login: 'dependabot[bot]', type: 'User' });
    expect(jobOf(route('issue_comment', payload)).requester).toEqual({
      login: 'dependabot[bot]',
      type: 'User',
    });
  });

  it('refuses a command on a closed issue or pull request', () => {
    const closed = webhookPayload('issue_comment', 'created', {
      issue: { state: 'closed' },
      comment: { body: '/patchling fix' },
    });
    expect(route('issue_comment', closed)).toEqual({
      action: 'refuse',
      repo: REPO,
      issueNumber: 1,
      reason: '@Codertocat, this issue is closed, so Patchling will not fix it.',
    });
  });

  it('uses the configured command name', () => {
    const payload = issueComment('/acme-review fix');
    expect(jobOf(route('issue_comment', payload, { commandName: 'acme-review' })).kind).toBe('fix');
    expect(
      reasonOf(
        route('issue_comment', issueComment('/patchling fix'), { commandName: 'acme-review' }),
      ),
    ).toBe('the comment is not addressed to Patchling');
  });
});

describe('routeEvent: commands in pull request review comments', () => {
  it('runs a review of the head the payload shows', () => {
    const payload = webhookPayload('pull_request_review_comment', 'created', {
      comment: { body: '/patchling review only this file' },
    });
    expect(route('pull_request_review_comment', payload)).toEqual({
      action: 'run',
      acknowledgeCommentId: REVIEW_COMMENT_ID,
      job: {
        kind: 'review',
        repo: REPO,
        pullNumber: 2,
        headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        headRef: 'changes',
        baseRef: 'master',
        headRepo: 'Codertocat/Hello-World',
        isFork: false,
        requester: CODERTOCAT,
        trigger: 'comment',
        commentId: REVIEW_COMMENT_ID,
        instructions: 'only this file',
      },
    });
  });

  it('runs a fix on the pull request', () => {
    const payload = webhookPayload('pull_request_review_comment', 'created', {
      comment: { body: '@patchling fix rename this variable' },
    });
    expect(jobOf(route('pull_request_review_comment', payload))).toMatchObject({
      kind: 'fix',
      target: 'pull_request',
      issueNumber: 2,
      instructions: 'rename this variable',
    });
  });

  it('ignores edited review comments', () => {
    const payload = webhookPayload('pull_request_review_comment', 'edited', {
      comment: { body: '/patchling fix' },
    });
    expect(reasonOf(route('pull_request_review_comment', payload))).toBe(
      'pull_request_review_comment.edited: only new comments are read',
    );
  });

  it('ignores review comments by bots', () => {
    const payload = webhookPayload('pull_request_review_comment', 'created', {
      comment: { body: '/patchling review', user: { login: 'copilot[bot]', type: 'Bot' } },
    });
    expect(reasonOf(route('pull_request_review_comment', payload))).toBe(
      'copilot[bot] is a bot not listed in bots.allow',
    );
  });
});

describe('routeEvent: the fix label', () => {
  const labeled = (name: string, extra: { type?: 'User' | 'Bot'; login?: string } = {}) =>
    webhookPayload('issues', 'labeled', {
      label: { name },
      ...(extra.type === undefined
        ? {}
        : { sender: { login: extra.login ?? 'x', type: extra.type } }),
    });

  it('fixes an issue labelled "patchling"', () => {
    expect(route('issues', labeled('patchling'))).toEqual({
      action: 'run',
      job: {
        kind: 'fix',
        repo: REPO,
        issueNumber: 1,
        target: 'issue',
        requester: CODERTOCAT,
        trigger: 'label',
      },
    });
  });

  it('uses the configured label, in any case', () => {
    const config = configFrom('fix:\n  label: autofix\n');
    expect(jobOf(route('issues', labeled('AutoFix'), { config })).kind).toBe('fix');
    expect(reasonOf(route('issues', labeled('patchling'), { config }))).toBe(
      'the label "patchling" is not the fix label "autofix"',
    );
  });

  it('ignores other labels', () => {
    expect(reasonOf(route('issues', labeled('bug')))).toBe(
      'the label "bug" is not the fix label "patchling"',
    );
  });

  it('ignores a label added by a bot', () => {
    expect(
      reasonOf(route('issues', labeled('patchling', { type: 'Bot', login: 'triage[bot]' }))),
    ).toBe('triage[bot] is a bot not listed in bots.allow');
  });

  it('ignores a closed issue', () => {
    const payload = webhookPayload('issues', 'labeled', {
      label: { name: 'patchling' },
      issue: { state: 'closed' },
    });
    expect(reasonOf(route('issues', payload))).toBe('issue #1 is closed');
  });

  it('ignores other issue actions', () => {
    expect(reasonOf(route('issues', webhookPayload('issues', 'opened')))).toBe(
      'issues.opened is not routed',
    );
  });
});
