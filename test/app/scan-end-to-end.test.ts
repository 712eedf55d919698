import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanScriptSteps } from '../../eval/scan/scripted-scan-model.js';
import { rootCauseFingerprint } from '../../src/jobs/scan/root-cause.js';
import type { SarifLog } from '../../src/github/sarif/sarif-types.js';
import {
  expectGitHubMockSettled,
  startGitHubMock,
  startTestApp,
  type AppHarness,
  type GitHubMock,
} from '../support/app-harness.js';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { withBody } from '../support/nock-request.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { validateWithMultitool } from '../support/sarif-multitool.js';
import { testModelConfig } from '../support/test-model-config.js';
import { TEST_INSTALLATION, webhookPayload } from '../support/webhook-payloads.js';
import { git } from '../workspace/git/pr-fixture.js';
import { PLANTED_FILES, plantedScript, TITLES } from '../jobs/scan/planted-repo.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const ISSUE = 3;
const COMMENT_ID = 9001;
const CHECK_RUN_ID = 555;
const SARIF_ID = '47177e22-5596-11eb-80a1-c1e54ef945c6';
const NEW_ISSUE = 12;

const repository = {
  name: REPO,
  full_name: `${OWNER}/${REPO}`,
  owner: { login: OWNER },
  default_branch: 'main',
  html_url: `https://github.com/${OWNER}/${REPO}`,
  url: `https://api.github.com/repos/${OWNER}/${REPO}`,
};

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

/** The planted repository behind authenticated smart HTTP, as GitHub would serve it. */
async function serveRepository(token: string) {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-scan-app-')));
  const src = path.join(root, 'src');
  await git(root, 'init', '--quiet', '--initial-branch=main', src);
  for (const [file, content] of Object.entries(PLANTED_FILES)) {
    await mkdir(path.dirname(path.join(src, file)), { recursive: true });
    await writeFile(path.join(src, file), content);
  }
  await git(src, 'add', '-A');
  await git(src, 'commit', '--quiet', '-m', 'The shop');
  const headSha = await git(src, 'rev-parse', 'HEAD');
  const bare = path.join(root, OWNER, `${REPO}.git`);
  await mkdir(path.dirname(bare), { recursive: true });
  await git(root, 'clone', '--quiet', '--bare', src, bare);
  await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  const server = await startGitHttpServer({ projectRoot: root, token });
  return { server, root, headSha };
}

function scanCommand() {
  return webhookPayload('issue_comment', 'created', {
    issue: { number: ISSUE, title: 'Security', state: 'open', pull_request: undefined },
    comment: {
      id: COMMENT_ID,
      body: '/patchling scan',
      user: { login: 'alice', type: 'User' },
    },
    sender: { login: 'alice', type: 'User' },
    repository,
  });
}

const dismissedFingerprint = rootCauseFingerprint({
  cwe: 'CWE-798',
  path: 'app/settings.py',
  root_cause: 'settings.py holds the Stripe live key',
});
const goneFingerprint = 'f00df00df00df00d';

function alert(number: number, state: string, fingerprint: string) {
  return {
    number,
    state,
    html_url: `https://github.com/${OWNER}/${REPO}/security/code-scanning/${number}`,
    dismissed_reason: state === 'dismissed' ? 'used in tests' : null,
    rule: { id: 'patchling/cwe-798', severity: 'error', security_severity_level: 'high' },
    tool: { name: 'Patchling', version: '0.1.0' },
    most_recent_instance: {
      ref: 'refs/heads/main',
      state,
      message: { text: `A finding.\n\nPatchling id: ${fingerprint}` },
      location: { path: 'app/settings.py', start_line: 2, end_line: 2 },
    },
  };
}

describe('/patchling scan in the App, end to end', () => {
  it('scans the default branch, uploads SARIF GitHub accepts, compares with the alerts, and opens an issue for what is new', async () => {
    served = await serveRepository(github.installationToken);
    model = await startScriptedModelServer(scanScriptSteps(plantedScript()));
    github.installationAuth(TEST_INSTALLATION.id);
    github.app();
    // A setup script: the scan job runs the setup phase on its checkout before scanning.
    const config = 'scan:\n  notify_at: high\nsetup:\n  run: echo deps-installed\n';
    github.repoConfig(OWNER, REPO, config);
    github.repoConfig(OWNER, REPO, config);
    github.permission(OWNER, REPO, 'alice', 'write');
    github.write(
      'POST',
      '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
      { owner: OWNER, repo: REPO, comment_id: COMMENT_ID },
      () => [201, { id: 1, content: 'eyes' }],
    );
    const headSha = served.headSha;
    github.scope
      .get(`/repos/${OWNER}/${REPO}/commits/refs%2Fheads%2Fmain`)
      .reply(200, { sha: headSha });
    github.write(
      'POST',
      '/repos/{owner}/{repo}/check-runs',
      { owner: OWNER, repo: REPO },
      (body) => [
        201,
        {
          id: CHECK_RUN_ID,
          head_sha: body.head_sha,
          name: body.name,
          status: body.status,
          output: body.output,
        },
      ],
    );
    const patched = (body: Record<string, unknown>) =>
      [200, { id: CHECK_RUN_ID, status: body.status }] as const;
    const runParams = { owner: OWNER, repo: REPO, check_run_id: CHECK_RUN_ID };
    github.write('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', runParams, patched);
    for (let i = 0; i < 4; i++) {
      github.write('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', runParams, patched, {
        optional: true,
      });
    }
    github.repoFile(OWNER, REPO, '.gitattributes', headSha);
    github.repoFile(OWNER, REPO, 'AGENTS.override.md', headSha);
    github.repoFile(OWNER, REPO, 'AGENTS.md', headSha);
    github.scope
      .get(`/repos/${OWNER}/${REPO}/code-scanning/alerts`)
      .query({ tool_name: 'Patchling', ref: 'refs/heads/main', per_page: '100', page: '1' })
      .reply(200, [alert(1, 'dismissed', dismissedFingerprint), alert(2, 'open', goneFingerprint)]);
    let uploaded: Record<string, unknown> | undefined;
    github.write(
      'POST',
      '/repos/{owner}/{repo}/code-scanning/sarifs',
      { owner: OWNER, repo: REPO },
      (body) => {
        uploaded = body;
        return [
          202,
          {
            id: SARIF_ID,
            url: `https://api.github.com/repos/${OWNER}/${REPO}/code-scanning/sarifs/${SARIF_ID}`,
          },
        ];
      },
    );
    const statusRoute = `/repos/${OWNER}/${REPO}/code-scanning/sarifs/${SARIF_ID}`;
    github.scope
      .get(statusRoute)
      .reply(200, { processing_status: 'pending', analyses_url: null, errors: null });
    github.scope
      .get(statusRoute)
      .reply(200, { processing_status: 'complete', analyses_url: 'x', errors: null });
    let issue: { title?: string; body?: string } | undefined;
    github.scope.post(`/repos/${OWNER}/${REPO}/issues`).reply(
      withBody((body) => {
        issue = body as typeof issue;
        return [
          201,
          {
            number: NEW_ISSUE,
            html_url: `https://github.com/${OWNER}/${REPO}/issues/${NEW_ISSUE}`,
          },
        ];
      }),
    );

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
    expect(uploaded).toMatchObject({
      commit_sha: headSha,
      ref: 'refs/heads/main',
      tool_name: 'Patchling',
    });
    const log = JSON.parse(
      gunzipSync(Buffer.from(String(uploaded?.sarif), 'base64')).toString('utf8'),
    ) as SarifLog;
    expect((await validateWithMultitool(log)).errors).toEqual([]);
    expect(log.runs[0]?.results.map((r) => r.ruleId).sort()).toEqual([
      'patchling/cwe-78',
      'patchling/cwe-798',
      'patchling/cwe-89',
    ]);
    // The token never reaches the upload.
    expect(JSON.stringify(log)).not.toContain(github.installationToken);

    // The dismissed alert is not reported again: the issue names the two new ones only.
    expect(issue?.title).toBe('Patchling scan: 2 new findings at high or above');
    expect(issue?.body).toContain(TITLES.shell);
    expect(issue?.body).toContain(TITLES.sql);
    expect(issue?.body).not.toContain(TITLES.secret);

    const final = github.calls
      .filter((c) => c.method === 'PATCH' && c.path.endsWith(`/check-runs/${CHECK_RUN_ID}`))
      .at(-1);
    const summary = String((final?.body as { output?: { summary?: string } }).output?.summary);
    expect(final?.body).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(summary).toContain(
      'New: 2. Still present: 0. Fixed: 1. Dismissed on GitHub (not reported again): 1.',
    );
    expect(summary).toContain('The SARIF was uploaded and processed by code scanning.');
    expect(summary).toContain(`#${NEW_ISSUE}`);
  }, 180_000);
});
