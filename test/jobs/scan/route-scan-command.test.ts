import { describe, expect, it } from 'vitest';
import { authorizeJob } from '../../../src/jobs/authorize-job.js';
import { jobWrites } from '../../../src/jobs/job.js';
import { parseCommand } from '../../../src/jobs/parse-command.js';
import { TEST_INSTALLATION, webhookPayload } from '../../support/webhook-payloads.js';
import { jobOf, route } from '../route-helpers.js';

// GitHub's example comment (id 492700400) by Codertocat on Codertocat/Hello-World#1,
// whose default branch is master.
const COMMENT_ID = 492700400;

describe('/patchling scan', () => {
  it('is a command, and takes no text', () => {
    expect(parseCommand('/patchling scan', 'patchling')).toEqual({ kind: 'scan' });
    expect(parseCommand('@patchling scan please', 'patchling')).toEqual({ kind: 'scan' });
  });

  it('routes to a scan of the default branch, acknowledged, answered on the issue it was asked on', () => {
    const decision = route(
      'issue_comment',
      webhookPayload('issue_comment', 'created', { comment: { body: '/patchling scan' } }),
    );
    expect(decision).toEqual({
      action: 'run',
      acknowledgeCommentId: COMMENT_ID,
      job: {
        kind: 'scan',
        repo: { owner: 'Codertocat', repo: 'Hello-World', installationId: TEST_INSTALLATION.id },
        ref: 'refs/heads/master',
        trigger: 'comment',
        issueNumber: 1,
        requester: { login: 'Codertocat', type: 'User' },
        commentId: COMMENT_ID,
      },
    });
  });

  it('needs write access on demand; a schedule needs no one', async () => {
    const asked = jobOf(
      route(
        'issue_comment',
        webhookPayload('issue_comment', 'created', { comment: { body: '/patchling scan' } }),
      ),
    );
    expect(jobWrites(asked)).toBe(true);
    expect(await authorizeJob(asked, () => Promise.resolve('read'))).toEqual({
      ok: false,
      reason:
        '@Codertocat, only people with write access can ask Patchling to scan the repository.',
    });
    expect(await authorizeJob(asked, () => Promise.resolve('write'))).toEqual({ ok: true });
    const scheduled = jobOf(
      route(
        'schedule',
        { schedule: '0 3 * * 1' },
        { actionRepository: { owner: 'o', repo: 'r', ref: 'refs/heads/main' } },
      ),
    );
    expect(jobWrites(scheduled)).toBe(false);
  });
});

describe('/patchling scan diff', () => {
  it('asks for a diff-aware scan; anything else after scan is a full one', () => {
    expect(parseCommand('/patchling scan diff', 'patchling')).toEqual({
      kind: 'scan',
      scope: 'diff',
    });
    expect(parseCommand('@patchling scan Diff please', 'patchling')).toEqual({
      kind: 'scan',
      scope: 'diff',
    });
    expect(parseCommand('/patchling scan different things', 'patchling')).toEqual({ kind: 'scan' });
  });

  it('routes to a scan job that says so', () => {
    const decision = route(
      'issue_comment',
      webhookPayload('issue_comment', 'created', { comment: { body: '/patchling scan diff' } }),
    );
    expect(jobOf(decision)).toMatchObject({ kind: 'scan', trigger: 'comment', scope: 'diff' });
  });
});
