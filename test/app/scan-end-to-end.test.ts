import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanScriptSteps } from '../../eval/scan/scripted-scan-model.js';
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
import { PLANTED_FILES, plantedScript, TITLES } from '../jobs/scan/planted-repo.js';
import {
  alertJson,
  CHECK_RUN_ID,
  mockScanJob,
  NEW_ISSUE,
  scanCommand,
  serveCommits,
} from './scan-github.js';

let github: GitHubMock;
let served: { server: GitHttpServer; root: string; headSha: string } | undefined;
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

const dismissedFingerprint = rootCauseFingerprint({
  cwe: 'CWE-798',
  path: 'app/settings.py',
  root_cause: 'settings.py holds the Stripe live key',
});
const goneFingerprint = 'f00df00df00df00d';

describe('/patchling scan in the App, end to end', () => {
  it('scans the default branch, uploads SARIF GitHub accepts, compares with the alerts, and opens an issue for what is new', async () => {
    served = await serveCommits(github.installationToken, [PLANTED_FILES]);
    model = await startScriptedModelServer(scanScriptSteps(plantedScript()));
    // A setup script: the scan job runs the setup phase on its checkout before scanning.
    const config = 'scan:\n  notify_at: high\nsetup:\n  run: echo deps-installed\n';
    const headSha = served.headSha;
    const scan = mockScanJob(github, {
      headSha,
      config,
      // No analysis yet: the first scan is full.
      analyses: [],
      alerts: [
        alertJson(1, 'dismissed', dismissedFingerprint),
        alertJson(2, 'open', goneFingerprint),
      ],
    });

    app = await startTestApp({
      config: { cloneBaseUrl: served.server.url, maxTurns: 4 },
      modelConfig: testModelConfig(model.baseURL, 'responses', {
        idleTimeoutMs: 30_000,
        requestTimeoutMs: 60_000,
      }),
    });
    const delivered = await app.deliver('issue_comment', scanCommand());
    expect(delivered.status).toBe(200);
    const jobs = await app.settled(2, 120_000);
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['scan', 'succeeded', undefined],
    ]);
    expect(jobs[1]?.progress).toEqual({ check_run: CHECK_RUN_ID });
    // Setup ran in the sandbox before the scan, from the default branch's config.
    expect(app.logs.filter((entry) => entry.msg === 'setup finished')).toEqual([
      expect.objectContaining({ status: 'installed' }),
    ]);
    expect(app.logs).toContainEqual(
      expect.objectContaining({ msg: 'setup', line: expect.stringContaining('deps-installed') }),
    );

    // The upload: gzip then base64, for the scanned commit, and the SARIF GitHub accepts.
    expect(scan.uploaded()).toMatchObject({
      commit_sha: headSha,
      ref: 'refs/heads/main',
      tool_name: 'Patchling',
    });
    const log = scan.sarif();
    expect((await validateWithMultitool(log)).errors).toEqual([]);
    expect(log.runs[0]?.automationDetails.id).toBe('patchling/scan-full/');
    expect(log.runs[0]?.results.map((r) => r.ruleId).sort()).toEqual([
      'patchling/cwe-78',
      'patchling/cwe-798',
      'patchling/cwe-89',
    ]);
    // The token never reaches the upload.
    expect(JSON.stringify(log)).not.toContain(github.installationToken);

    // The dismissed alert is not reported again: the issue names the two new ones only.
    const issue = scan.issue();
    expect(issue?.title).toBe('Patchling scan: 2 new findings at high or above');
    expect(issue?.body).toContain(TITLES.shell);
    expect(issue?.body).toContain(TITLES.sql);
    expect(issue?.body).not.toContain(TITLES.secret);

    const { body: final, text: summary } = scan.summary();
    expect(final).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(summary).toContain(
      'New: 2. Still present: 0. Fixed: 1. Dismissed on GitHub (not reported again): 1.',
    );
    expect(summary).toContain('The SARIF was uploaded and processed by code scanning.');
    expect(summary).toContain(`#${NEW_ISSUE}`);
  }, 180_000);
});
