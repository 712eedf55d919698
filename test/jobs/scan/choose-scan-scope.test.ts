import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { PastAnalyses } from '../../../src/github/sarif/code-scanning-analyses.js';
import type { KnownAlert } from '../../../src/github/sarif/code-scanning-alerts.js';
import { carryForwardAlerts } from '../../../src/jobs/scan/carry-forward.js';
import { chooseScanScope, confirmDiffScope } from '../../../src/jobs/scan/choose-scan-scope.js';
import { makeGitRepo, type TempGitRepo } from '../../support/git-repo.js';

const run = promisify(execFile);

const NOW = new Date('2026-12-06T10:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function past(...analyses: [sha: string, daysAgo: number, category: string][]): PastAnalyses {
  return {
    readable: true,
    analyses: analyses.map(([commitSha, daysAgo, category]) => ({
      commitSha,
      createdAt: new Date(NOW.getTime() - daysAgo * DAY),
      category,
    })),
  };
}

const scheduled = { trigger: 'configured_schedule' } as const;
const choose = (job: Parameters<typeof chooseScanScope>[0]['job'], analyses: PastAnalyses) =>
  chooseScanScope({ job, past: analyses, now: NOW, fullEveryDays: 7 });

describe('chooseScanScope', () => {
  it('makes a scheduled scan diff-aware since the newest analysis while the last full one is recent', () => {
    const choice = choose(
      scheduled,
      past([B, 1, 'patchling/scan-diff'], [A, 3, 'patchling/scan-full/']),
    );
    expect(choice).toEqual({ mode: 'diff', since: B, reason: expect.stringContaining('bbbbbbb') });
    expect(choose({ trigger: 'schedule' }, past([A, 6.9, 'patchling/scan-full']))).toMatchObject({
      mode: 'diff',
      since: A,
    });
  });

  it('runs a full scan when the last full scan is full_every_days old, or none is on record', () => {
    expect(
      choose(scheduled, past([B, 1, 'patchling/scan-diff'], [A, 7, 'patchling/scan-full'])),
    ).toEqual({ mode: 'full', reason: expect.stringContaining('7 days old') });
    expect(choose(scheduled, past([B, 1, 'patchling/scan-diff']))).toMatchObject({ mode: 'full' });
    expect(choose(scheduled, past())).toEqual({
      mode: 'full',
      reason: 'no previous Patchling analysis on this ref',
    });
    expect(choose(scheduled, { readable: false, reason: 'code scanning is off (404)' })).toEqual({
      mode: 'full',
      reason: expect.stringContaining('code scanning is off'),
    });
    expect(
      chooseScanScope({
        job: scheduled,
        past: past([A, 0, 'patchling/scan-full']),
        now: NOW,
        fullEveryDays: 0,
      }),
    ).toMatchObject({ mode: 'full' });
  });

  it('is full on demand, unless the command asked for a diff', () => {
    const recent = past([A, 0.5, 'patchling/scan-full']);
    expect(choose({ trigger: 'workflow_dispatch' }, recent)).toMatchObject({ mode: 'full' });
    expect(choose({ trigger: 'comment' }, recent)).toMatchObject({ mode: 'full' });
    // Asked for: diff-aware even when the last full scan is old, but never without a start.
    const old = past([B, 1, 'patchling/scan-diff'], [A, 30, 'patchling/scan-full']);
    expect(choose({ trigger: 'comment', scope: 'diff' }, old)).toMatchObject({
      mode: 'diff',
      since: B,
    });
    expect(choose({ trigger: 'comment', scope: 'diff' }, past())).toMatchObject({ mode: 'full' });
  });
});

function alert(fields: Partial<KnownAlert> & { number: number; path: string }): KnownAlert {
  const { path, ...rest } = fields;
  return {
    state: 'open',
    fingerprint: String(fields.number).padStart(16, '0'),
    ruleId: 'patchling/cwe-78',
    severity: 'critical',
    message: `Command injection.\n\nPatchling id: ${String(fields.number).padStart(16, '0')}`,
    location: { path, startLine: 5, endLine: 5 },
    ...rest,
  };
}

describe('carryForwardAlerts', () => {
  const alerts = [
    alert({ number: 1, path: 'bin/backup.sh' }),
    alert({ number: 2, path: 'app/search.py' }),
    alert({ number: 3, path: 'app/settings.py', state: 'dismissed', ruleId: 'patchling/cwe-798' }),
    alert({ number: 4, path: 'app/old.py', state: 'fixed' }),
    alert({ number: 5, path: 'app/other.py', ruleId: 'someone-else/rule' }),
  ];

  it('restates open and dismissed alerts in files a diff scan did not hunt, as they were', () => {
    const carried = carryForwardAlerts(
      { mode: 'diff', status: 'completed', findings: [], scannedFiles: ['app/search.py'] },
      alerts,
    );
    expect(carried.map((c) => [c.path, c.cwe, c.severity, c.carried?.alertNumber])).toEqual([
      ['bin/backup.sh', 'CWE-78', 'critical', 1],
      ['app/settings.py', 'CWE-798', 'critical', 3],
    ]);
    expect(carried[0]?.carried?.message).toContain('Patchling id: 0000000000000001');
  });

  it('carries nothing for a complete full scan, and nothing this scan found again', () => {
    expect(
      carryForwardAlerts(
        { mode: 'full', status: 'completed', findings: [], scannedFiles: [] },
        alerts,
      ),
    ).toEqual([]);
    const incomplete = carryForwardAlerts(
      {
        mode: 'full',
        status: 'incomplete',
        findings: [{ fingerprint: '0000000000000001' } as never],
        scannedFiles: [],
      },
      alerts,
    );
    expect(incomplete.map((c) => c.carried?.alertNumber)).toEqual([2, 3]);
  });
});

describe('confirmDiffScope', () => {
  let repo: TempGitRepo | undefined;
  afterEach(async () => {
    await repo?.remove();
    repo = undefined;
  });

  it('keeps a diff within scan.diff_max_files, and turns it full past the bound or off the history', async () => {
    repo = await makeGitRepo({ 'a.js': 'a\n', 'b.js': 'b\n', 'c.js': 'c\n' });
    const dir = repo.dir;
    const since = (await run('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
    for (const file of ['a.js', 'b.js', 'c.js']) await writeFile(path.join(dir, file), 'changed\n');
    await run(
      'git',
      ['-c', 'user.name=T', '-c', 'user.email=t@t.invalid', 'commit', '-qam', 'edit'],
      {
        cwd: dir,
      },
    );
    const choice = { mode: 'diff', since, reason: 'diff-aware' } as const;
    const confirm = (maxFiles: number, reported: string | undefined) =>
      confirmDiffScope({ choice, workspace: dir, since: reported, maxFiles });
    expect(await confirm(3, since)).toEqual(choice);
    expect(await confirm(2, since)).toEqual({
      mode: 'full',
      reason: expect.stringContaining('3 files changed'),
    });
    // prepareJobWorkspace reports no `since` when it is not an ancestor of the head.
    expect(await confirm(3, undefined)).toEqual({
      mode: 'full',
      reason: expect.stringContaining('not in the history of the head'),
    });
    const full = { mode: 'full', reason: 'asked' } as const;
    expect(
      await confirmDiffScope({ choice: full, workspace: dir, since: undefined, maxFiles: 1 }),
    ).toBe(full);
  });
});
