import { describe, expect, it, vi } from 'vitest';
import { authorizeJob } from '../../src/jobs/authorize-job.js';
import type { RepoPermission } from '../../src/jobs/authorize-job.js';
import type { FixJob, RoutedJob } from '../../src/jobs/job.js';

const repo = { owner: 'acme', repo: 'widgets', installationId: 1 };
const alice = { login: 'alice', type: 'User' } as const;

function fix(overrides: Partial<FixJob> = {}): FixJob {
  return {
    kind: 'fix',
    repo,
    issueNumber: 7,
    target: 'issue',
    requester: alice,
    trigger: 'comment',
    commentId: 99,
    ...overrides,
  };
}

const permissionOf = (permission: RepoPermission) =>
  vi.fn(async (_login: string): Promise<RepoPermission> => permission);

describe('authorizeJob', () => {
  it.each(['admin', 'maintain', 'write'] as const)('lets %s ask for a fix', async (permission) => {
    const getPermission = permissionOf(permission);
    await expect(authorizeJob(fix(), getPermission)).resolves.toEqual({ ok: true });
    expect(getPermission).toHaveBeenCalledWith('alice');
  });

  it.each(['triage', 'read', 'none'] as const)(
    'refuses a fix asked by someone with %s permission, saying why',
    async (permission) => {
      await expect(authorizeJob(fix(), permissionOf(permission))).resolves.toEqual({
        ok: false,
        reason: '@alice, only people with write access can ask Patchling to fix issues.',
      });
    },
  );

  it('words the refusal for a fix on a pull request', async () => {
    const result = await authorizeJob(fix({ target: 'pull_request' }), permissionOf('read'));
    expect(result).toEqual({
      ok: false,
      reason:
        '@alice, only people with write access can ask Patchling to push fixes to pull requests.',
    });
  });

  it('checks the permission of a fix asked by label the same way', async () => {
    const result = await authorizeJob(fix({ trigger: 'label' }), permissionOf('triage'));
    expect(result.ok).toBe(false);
  });

  it('does not trust a "[bot]" login or an allowlisted bot to write', async () => {
    for (const requester of [
      { login: 'dependabot[bot]', type: 'Bot' },
      { login: 'dependabot[bot]', type: 'User' },
    ] as const) {
      const result = await authorizeJob(fix({ requester }), permissionOf('none'));
      expect(result).toEqual({
        ok: false,
        reason: `@dependabot[bot], only people with write access can ask Patchling to fix issues.`,
      });
    }
  });

  it('lets anyone routed ask for jobs that do not write, without asking GitHub', async () => {
    const jobs: RoutedJob[] = [
      {
        kind: 'review',
        repo,
        pullNumber: 3,
        requester: alice,
        trigger: 'comment',
        commentId: 1,
      },
      { kind: 'help', repo, issueNumber: 3, requester: alice, commentId: 1 },
      { kind: 'scan', repo, ref: 'refs/heads/main', trigger: 'schedule' },
    ];
    for (const job of jobs) {
      const getPermission = permissionOf('none');
      await expect(authorizeJob(job, getPermission)).resolves.toEqual({ ok: true });
      expect(getPermission).not.toHaveBeenCalled();
    }
  });

  it('lets a failed permission lookup fail, rather than refuse on a guess', async () => {
    const failing = vi.fn(async (): Promise<RepoPermission> => {
      throw new Error('503 from GitHub');
    });
    await expect(authorizeJob(fix(), failing)).rejects.toThrow('503 from GitHub');
  });
});
