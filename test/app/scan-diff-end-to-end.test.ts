import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passOf, scanScriptSteps } from '../../eval/scan/scripted-scan-model.js';
import { lineHashes } from '../../src/github/sarif/line-hash.js';
import { rootCauseFingerprint } from '../../src/jobs/scan/root-cause.js';
import {
  expectGitHubMockSettled,
  startGitHubMock,
  startTestApp,
  type AppHarness,
  type GitHubMock,
} from '../support/app-harness.js';
import type { GitHttpServer } from '../support/git-http-server.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { validateWithMultitool } from '../support/sarif-multitool.js';
import { testModelConfig } from '../support/test-model-config.js';
import { lineOf, PLANTED_FILES, plantedScript, TITLES } from '../jobs/scan/planted-repo.js';
import { alertJson, analysisJson, mockScanJob, scanCommand, serveCommits } from './scan-github.js';

let github: GitHubMock;
let served: { server: GitHttpServer; root: string } | undefined;
let model: ScriptedModelServer | undefined;
let app: AppHarness | undefined;

beforeEach(() => {
  github = startGitHubMock();
});

afterEach(async () => {
  await app?.close();
  await model?.close();
  await served?.server.close();
  if (served) await rm(served.root, { recursive: true, force: true });
  app = model = served = undefined;
  expectGitHubMockSettled(github);
});

/**
 * The second commit: the search module gains a header (its lines shift), the README a
 * line, and the bundle is deleted.
 */
const EDITED: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({
    ...PLANTED_FILES,
    'README.md': `${PLANTED_FILES['README.md'] ?? ''}\nRun it with \`python -m shop\`.\n`,
    'app/search.py': `# Product search.\n\n${PLANTED_FILES['app/search.py'] ?? ''}`,
  }).filter(([file]) => file !== 'dist/bundle.js'),
);

function fingerprintOf(title: string): string {
  const found = plantedScript().findings.find((finding) => finding.title === title);
  if (!found) throw new Error(`no ${title} in the script`);
  return rootCauseFingerprint(found);
}

async function startApp() {
  if (!served || !model) throw new Error('serve the repository and the model first');
  app = await startTestApp({
    config: { cloneBaseUrl: served.server.url, maxTurns: 4 },
    modelConfig: testModelConfig(model.baseURL, 'responses', {
      idleTimeoutMs: 30_000,
      requestTimeoutMs: 60_000,
    }),
  });
  return app;
}

describe('diff-aware scans in the App, end to end', () => {
  it('scans only what changed since the previous analysis, and carries forward the alerts of the files it did not scan so GitHub cannot mark them fixed', async () => {
    const repo = await serveCommits(github.installationToken, [PLANTED_FILES, EDITED]);
    served = repo;
    const [first, head] = repo.shas as [string, string];
    model = await startScriptedModelServer(scanScriptSteps(plantedScript(EDITED)));
    const shellLine = lineOf(PLANTED_FILES, 'bin/backup.sh', 'eval ');
    const scan = mockScanJob(github, {
      headSha: head,
      config: 'scan:\n  notify_at: high\n',
      analyses: [
        analysisJson(7, first, new Date(Date.now() - 24 * 60 * 60 * 1000), 'patchling/scan-full'),
      ],
      alerts: [
        // Found again in the changed file: still present.
        alertJson(2, 'open', fingerprintOf(TITLES.sql), {
          rule: 'patchling/cwe-89',
          path: 'app/search.py',
          line: lineOf(PLANTED_FILES, 'app/search.py', 'query = f"'),
        }),
        // In files the diff scan does not read: neither fixed nor reported, carried forward.
        alertJson(3, 'open', fingerprintOf(TITLES.shell), {
          rule: 'patchling/cwe-78',
          path: 'bin/backup.sh',
          line: shellLine,
          severity: 'critical',
        }),
        alertJson(1, 'dismissed', fingerprintOf(TITLES.secret)),
        // In a file deleted since: gone, so not carried (the upload lets it close).
        alertJson(4, 'open', 'b0b0b0b0b0b0b0b0', {
          rule: 'patchling/cwe-79',
          path: 'dist/bundle.js',
          line: 2,
        }),
      ],
    });

    await startApp();
    const delivered = await app?.deliver('issue_comment', scanCommand('/patchling scan diff'));
    expect(delivered?.status).toBe(200);
    const jobs = (await app?.settled(2, 120_000)) ?? [];
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['scan', 'succeeded', undefined],
    ]);
    expect(app?.logs).toContainEqual(expect.objectContaining({ msg: 'scan scope', mode: 'diff' }));

    // Only the changed files were hunted.
    const hunts = (model?.requests ?? []).filter((request) => passOf(request) === 'hunt');
    expect(hunts.length).toBeGreaterThan(0);
    for (const hunt of hunts) {
      expect(hunt.rawBody).toContain('=== app/search.py');
      expect(hunt.rawBody).not.toContain('=== bin/backup.sh');
      expect(hunt.rawBody).not.toContain('=== app/settings.py');
    }

    const log = scan.sarif();
    expect((await validateWithMultitool(log)).errors).toEqual([]);
    const run = log.runs[0];
    // Its own category: a diff scan never stands in for the full scans' analysis.
    expect(run?.automationDetails.id).toBe('patchling/scan-diff/');
    const byFingerprint = new Map(
      (run?.results ?? []).map((result) => [
        result.partialFingerprints['patchlingRootCause/v1'],
        result,
      ]),
    );
    // Every open or dismissed alert of an unscanned file is in the upload, at its place and
    // with the line hash GitHub matched it by: the upload cannot mark it fixed.
    const shell = byFingerprint.get(fingerprintOf(TITLES.shell));
    expect(shell).toMatchObject({
      ruleId: 'patchling/cwe-78',
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'bin/backup.sh' },
            region: { startLine: shellLine },
          },
        },
      ],
      partialFingerprints: {
        primaryLocationLineHash: lineHashes(PLANTED_FILES['bin/backup.sh'] ?? '')[shellLine],
      },
      properties: { carriedForwardFromAlert: 3 },
    });
    expect(byFingerprint.get(fingerprintOf(TITLES.secret))).toMatchObject({
      ruleId: 'patchling/cwe-798',
      properties: { carriedForwardFromAlert: 1 },
    });
    // The changed file's finding is this scan's own, at its new line.
    expect(byFingerprint.get(fingerprintOf(TITLES.sql))).toMatchObject({
      ruleId: 'patchling/cwe-89',
      locations: [
        {
          physicalLocation: {
            region: { startLine: lineOf(EDITED, 'app/search.py', 'query = f"') },
          },
        },
      ],
    });
    expect(byFingerprint.has('b0b0b0b0b0b0b0b0')).toBe(false);
    expect(run?.results).toHaveLength(3);
    expect(scan.uploaded()).toMatchObject({ commit_sha: head, ref: 'refs/heads/main' });

    // Nothing new (no issue), nothing fixed: the unscanned files were not looked at.
    expect(scan.issue()).toBeUndefined();
    const { text: summary } = scan.summary();
    expect(summary).toContain(
      'New: 0. Still present: 1. Fixed: 0. Dismissed on GitHub (not reported again): 0.',
    );
    expect(summary).toContain(`since ${first.slice(0, 7)}`);
    expect(summary).toContain(
      `Diff-aware scan: diff-aware since ${first.slice(0, 7)}, the commit of the previous scan.`,
    );
    expect(summary).toContain('2 alerts in files this scan did not hunt were carried forward');
  }, 180_000);

  it('scans in full when the previous scan’s commit is not in the history (a force-push)', async () => {
    const repo = await serveCommits(github.installationToken, [PLANTED_FILES]);
    served = repo;
    model = await startScriptedModelServer(scanScriptSteps(plantedScript()));
    const scan = mockScanJob(github, {
      headSha: repo.headSha,
      config: 'scan:\n  notify_at: critical\n',
      analyses: [
        analysisJson(9, 'c0ffee'.padEnd(40, '0'), new Date(), 'patchling/scan-diff'),
        analysisJson(8, 'c0ffee'.padEnd(40, '1'), new Date(), 'patchling/scan-full'),
      ],
      alerts: [],
    });

    await startApp();
    await app?.deliver('issue_comment', scanCommand('/patchling scan diff'));
    const jobs = (await app?.settled(2, 120_000)) ?? [];
    expect(jobs.map((job) => [job.kind, job.status])).toEqual([
      ['delivery', 'succeeded'],
      ['scan', 'succeeded'],
    ]);
    expect(app?.logs).toContainEqual(
      expect.objectContaining({
        msg: 'scan scope',
        mode: 'full',
        reason: expect.stringContaining('is not in the history of the head'),
      }),
    );
    const run = scan.sarif().runs[0];
    expect(run?.automationDetails.id).toBe('patchling/scan-full/');
    expect(run?.results.map((r) => r.ruleId).sort()).toEqual([
      'patchling/cwe-78',
      'patchling/cwe-798',
      'patchling/cwe-89',
    ]);
  }, 180_000);
});
