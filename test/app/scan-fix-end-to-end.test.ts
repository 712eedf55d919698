/**
 * scan.fix end to end in the App: `/patchling scan` on a repository with planted
 * vulnerabilities, the scripted model for the scan and the fix, the real sandbox, a real
 * git server that takes the push, and nock for GitHub with its request schemas.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rootCauseFingerprint } from '../../src/jobs/scan/root-cause.js';
import {
  APP_SLUG,
  expectGitHubMockSettled,
  githubUser,
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
import { withBody } from '../support/nock-request.js';
import { testModelConfig } from '../support/test-model-config.js';
import { TEST_INSTALLATION } from '../support/webhook-payloads.js';
import { git } from '../workspace/git/pr-fixture.js';
import { isFixRequest, NO_FIX, REAL_FIX, scanAndFixSteps } from '../jobs/scan/planted-fix.js';
import { PLANTED_FILES, plantedScript, TITLES } from '../jobs/scan/planted-repo.js';
import { fixGitHub, type FixGitHub } from './fix-github.js';
import {
  CHECK_RUN_ID,
  COMMENT_ID,
  NEW_ISSUE,
  OWNER,
  REPO,
  SARIF_ID,
  scanCommand,
  serveCommits,
} from './scan-github.js';

const execFileAsync = promisify(execFile);

const FIX_PR = 14;
const BOT = `${APP_SLUG}[bot]`;
const BOT_ID = 41898282;
const REQUESTER = 'alice';
const REQUESTER_ID = 583231;

/** The command injection is critical and reproduced: the one finding scan.fix takes. */
const SHELL_FINGERPRINT = rootCauseFingerprint({
  cwe: 'CWE-78',
  path: 'bin/backup.sh',
  root_cause: 'backup.sh evals the project name',
});
const BRANCH = `patchling/scan-${SHELL_FINGERPRINT}`;

let github: GitHubMock;
let gh: FixGitHub;
let served: { server: GitHttpServer; root: string; bare: string; headSha: string } | undefined;
let model: ScriptedModelServer | undefined;
let app: AppHarness | undefined;

beforeEach(() => {
  github = startGitHubMock();
  gh = fixGitHub(github, OWNER, REPO);
});

afterEach(async () => {
  await app?.close();
  await model?.close();
  await served?.server.close();
  if (served) await rm(served.root, { recursive: true, force: true });
  app = model = served = undefined;
  expectGitHubMockSettled(github);
});

/** The planted repository behind authenticated smart HTTP, taking pushes as GitHub would. */
async function serveRepository(token: string, { pushes = true } = {}) {
  const served = await serveCommits(token, [PLANTED_FILES]);
  const bare = path.join(served.root, OWNER, `${REPO}.git`);
  // git-http-backend takes pushes from an authenticated user unless told not to.
  await git(bare, 'config', 'http.receivepack', pushes ? 'true' : 'false');
  return { ...served, bare };
}

/**
 * Everything the scan itself asks of GitHub, up to and including its issue. A second scan
 * (`again`) is asked by another comment, of a repository whose code scanning is off: its
 * alerts cannot be read (every finding is new again) and its upload is refused.
 */
function expectScan(config: string, headSha: string, again = false): void {
  const commentId = again ? COMMENT_ID + 1 : COMMENT_ID;
  if (!again) {
    github.installationAuth(TEST_INSTALLATION.id);
    github.app();
  }
  github.repoConfig(OWNER, REPO, config);
  github.repoConfig(OWNER, REPO, config);
  github.permission(OWNER, REPO, REQUESTER, 'write');
  github.write(
    'POST',
    '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
    { owner: OWNER, repo: REPO, comment_id: commentId },
    () => [201, { id: 1, content: 'eyes' }],
  );
  github.scope
    .get(`/repos/${OWNER}/${REPO}/commits/refs%2Fheads%2Fmain`)
    .reply(200, { sha: headSha });
  github.write('POST', '/repos/{owner}/{repo}/check-runs', { owner: OWNER, repo: REPO }, (body) => [
    201,
    { id: CHECK_RUN_ID, head_sha: body.head_sha, name: body.name },
  ]);
  const patched = (body: Record<string, unknown>) =>
    [200, { id: CHECK_RUN_ID, status: body.status }] as const;
  const runParams = { owner: OWNER, repo: REPO, check_run_id: CHECK_RUN_ID };
  // A second scan's edits may be taken by the first's spare ones (finalSummary checks the last).
  github.write('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', runParams, patched, {
    optional: again,
  });
  for (let i = 0; i < 8; i++) {
    github.write('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', runParams, patched, {
      optional: true,
    });
  }
  const off = {
    message: 'Code scanning is not enabled for this repository',
    documentation_url: 'https://docs.github.com/rest/code-scanning/code-scanning',
  };
  // No earlier analysis (the second time: none readable): a full scan.
  github.scope
    .get(`/repos/${OWNER}/${REPO}/code-scanning/analyses`)
    .query({
      tool_name: 'Patchling',
      ref: 'refs/heads/main',
      sort: 'created',
      direction: 'desc',
      per_page: '100',
    })
    .reply(again ? 403 : 200, again ? off : []);
  github.repoFile(OWNER, REPO, '.gitattributes', headSha);
  github.repoFile(OWNER, REPO, 'AGENTS.override.md', headSha);
  github.repoFile(OWNER, REPO, 'AGENTS.md', headSha);
  // The first time, no alerts yet: every finding is new.
  github.scope
    .get(`/repos/${OWNER}/${REPO}/code-scanning/alerts`)
    .query({ tool_name: 'Patchling', ref: 'refs/heads/main', per_page: '100', page: '1' })
    .reply(again ? 403 : 200, again ? off : []);
  github.write(
    'POST',
    '/repos/{owner}/{repo}/code-scanning/sarifs',
    { owner: OWNER, repo: REPO },
    () =>
      again ? [403, off] : [202, { id: SARIF_ID, url: `https://api.github.com/x/${SARIF_ID}` }],
  );
  if (!again) {
    github.scope
      .get(`/repos/${OWNER}/${REPO}/code-scanning/sarifs/${SARIF_ID}`)
      .reply(200, { processing_status: 'complete', analyses_url: 'x', errors: null });
  }
  github.scope
    .post(`/repos/${OWNER}/${REPO}/issues`)
    .reply(
      withBody(() => [
        201,
        { number: NEW_ISSUE, html_url: `https://github.com/${OWNER}/${REPO}/issues/${NEW_ISSUE}` },
      ]),
    );
}

/** An open pull request as GET .../pulls lists it (the fields that matter). */
function openPullRequest(number: number, branch: string) {
  return {
    number,
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${number}`,
    state: 'open',
    draft: true,
    head: { ref: branch, label: `${OWNER}:${branch}`, repo: { full_name: `${OWNER}/${REPO}` } },
    base: { ref: 'main', label: `${OWNER}:main`, repo: { full_name: `${OWNER}/${REPO}` } },
    user: githubUser(BOT),
  };
}

const ALERT_URL = `https://github.com/${OWNER}/${REPO}/security/code-scanning/7`;

/**
 * What scan.fix asks before spending anything: the repository, the alerts this scan's
 * upload made (when code scanning processed it: their links go in the pull requests), and
 * whether a fix is open.
 */
function expectFixLookup(
  openPullRequests: readonly Record<string, unknown>[] = [],
  uploaded = true,
): void {
  gh.repository();
  if (uploaded) {
    github.scope
      .get(`/repos/${OWNER}/${REPO}/code-scanning/alerts`)
      .query({ tool_name: 'Patchling', ref: 'refs/heads/main', per_page: '100', page: '1' })
      .reply(200, [
        {
          number: 7,
          state: 'open',
          html_url: ALERT_URL,
          rule: { id: 'patchling/cwe-78', severity: 'error', security_severity_level: 'critical' },
          tool: { name: 'Patchling', version: '0.1.0' },
          most_recent_instance: {
            ref: 'refs/heads/main',
            state: 'open',
            message: { text: `Command injection.\n\nPatchling id: ${SHELL_FINGERPRINT}` },
            location: { path: 'bin/backup.sh', start_line: 5, end_line: 5 },
          },
        },
      ]);
  }
  github.scope
    .get(`/repos/${OWNER}/${REPO}/pulls`)
    .query({ state: 'open', per_page: '100', page: '1' })
    .reply(200, [openPullRequest(9, 'feature/search'), ...openPullRequests]);
  if (openPullRequests.length > 0) return;
  github.scope
    .get((uri) => decodeURIComponent(uri) === `/repos/${OWNER}/${REPO}/branches/${BRANCH}`)
    .reply(404, {
      message: 'Branch not found',
      documentation_url: 'https://docs.github.com/rest/branches/branches#get-a-branch',
      status: '404',
    });
}

/** The comment listing the fixes on the scan's issue; returns its body when posted. */
function expectIssueComment(): () => string | undefined {
  let posted: string | undefined;
  github.write(
    'POST',
    '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    { owner: OWNER, repo: REPO, issue_number: NEW_ISSUE },
    (body) => {
      posted = String(body.body);
      return [
        201,
        {
          id: 4242,
          html_url: `https://github.com/${OWNER}/${REPO}/issues/${NEW_ISSUE}#issuecomment-4242`,
          body: body.body,
          user: githubUser(BOT),
        },
      ];
    },
  );
  return () => posted;
}

function finalSummary(): string {
  const final = github.calls
    .filter((c) => c.method === 'PATCH' && c.path.endsWith(`/check-runs/${CHECK_RUN_ID}`))
    .at(-1);
  expect(final?.body).toMatchObject({ status: 'completed' });
  return String((final?.body as { output?: { summary?: string } }).output?.summary);
}

/** Starts the App (once) and has it scan on a `/patchling scan` comment; `nth` scan of the test. */
async function runScan(nth = 1): Promise<void> {
  if (!served || !model) throw new Error('serve the repository and start the model first');
  app ??= await startTestApp({
    config: { cloneBaseUrl: served.server.url, maxTurns: 4 },
    modelConfig: testModelConfig(model.baseURL, 'responses', {
      idleTimeoutMs: 30_000,
      requestTimeoutMs: 60_000,
    }),
  });
  const delivered = await app.deliver(
    'issue_comment',
    scanCommand('/patchling scan', COMMENT_ID + nth - 1),
  );
  expect(delivered.status).toBe(200);
  const jobs = await app.settled(2 * nth, 240_000);
  expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual(
    Array.from({ length: nth }, () => [
      ['delivery', 'succeeded', undefined],
      ['scan', 'succeeded', undefined],
    ]).flat(),
  );
}

async function branchesOf(bare: string): Promise<string[]> {
  const { stdout } = await execFileAsync('git', ['for-each-ref', '--format=%(refname)'], {
    cwd: bare,
  });
  return stdout.trim().split('\n').filter(Boolean);
}

const FIX_CONFIG = 'scan:\n  notify_at: high\n  fix: true\n  fix_at: high\n';

describe('scan.fix in the App, end to end', () => {
  it('opens one draft pull request for the reproduced finding, with the reproduction passing after the fix', async () => {
    served = await serveRepository(github.installationToken);
    model = await startScriptedModelServer(scanAndFixSteps(REAL_FIX));
    expectScan(FIX_CONFIG, served.headSha);
    expectFixLookup();
    gh.user(BOT, BOT_ID);
    gh.user(REQUESTER, REQUESTER_ID);
    gh.createPullRequest(FIX_PR);
    const comment = expectIssueComment();

    await runScan();

    // Exactly one fix run: for the command injection (critical, reproduced). The SQL
    // injection is high but only confirmed by reading; the secret has no reproduction.
    const fixRequests = model.requests.filter(isFixRequest);
    expect(fixRequests).toHaveLength(2);
    expect(fixRequests[0]?.rawBody).toContain(TITLES.shell);
    expect(fixRequests[0]?.rawBody).not.toContain(TITLES.sql);

    const created = gh.pullRequestsCreated();
    expect(created).toHaveLength(1);
    const pr = created[0]?.body as Record<string, unknown>;
    expect(pr).toMatchObject({ head: BRANCH, base: 'main', draft: true });
    expect(pr.title).toBe(`Security fix: ${TITLES.shell} (CWE-78)`);
    const body = String(pr.body);
    expect(body).toContain(`Patchling id \`${SHELL_FINGERPRINT}\``);
    expect(body).toContain(`Its code scanning alert: ${ALERT_URL}`);
    expect(body).toContain('## Reproduction before the fix');
    expect(body).toContain('exit 0 (the weakness shows)');
    expect(body).toContain('injected command ran');
    expect(body).toContain('## Reproduction after the fix');
    expect(body).toContain('and 1 with the fix');
    expect(body).toContain(`@${REQUESTER}, please review`);

    // The branch holds the fix, not the reproduction, committed by the bot.
    expect(await branchesOf(served.bare)).toContain(`refs/heads/${BRANCH}`);
    const script = await git(served.bare, 'show', `${BRANCH}:bin/backup.sh`);
    expect(script).toContain('ls -- "projects/$name"');
    expect(script).not.toContain('eval');
    const files = await git(served.bare, 'ls-tree', '-r', '--name-only', BRANCH);
    expect(files).not.toContain('repro.sh');
    const log = await git(served.bare, 'log', '--format=%an <%ae>%n%B', `main..${BRANCH}`);
    expect(log).toContain(`Fix ${TITLES.shell}`);
    expect(log).toContain(`${BOT_ID}+${BOT}@users.noreply.github.com`);

    // The token is nowhere: not in the body, the title, the branch, the commits.
    const token = github.installationToken;
    expect(JSON.stringify(pr)).not.toContain(token);
    expect(log).not.toContain(token);
    const { stdout: everything } = await execFileAsync(
      'git',
      ['log', '-p', '--all', '--format=%H %an %ae %B'],
      { cwd: served.bare, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(everything).not.toContain(token);
    expect((await branchesOf(served.bare)).join('\n')).not.toContain(token);

    // The check run and the scan's issue list the pull request.
    const summary = finalSummary();
    expect(summary).toContain('Opened (1):');
    expect(summary).toContain(`https://github.com/${OWNER}/${REPO}/pull/${FIX_PR}`);
    expect(comment()).toContain(`https://github.com/${OWNER}/${REPO}/pull/${FIX_PR}`);
    expect(summary).not.toContain(token);
  }, 300_000);

  it('opens no pull request when the reproduction still shows the weakness after the fix, and says why', async () => {
    served = await serveRepository(github.installationToken);
    model = await startScriptedModelServer(scanAndFixSteps(NO_FIX));
    expectScan(FIX_CONFIG, served.headSha);
    expectFixLookup();
    const comment = expectIssueComment();

    await runScan();

    expect(model.requests.filter(isFixRequest)).toHaveLength(2);
    expect(gh.pullRequestsCreated()).toEqual([]);
    expect(await branchesOf(served.bare)).not.toContain(`refs/heads/${BRANCH}`);
    const summary = finalSummary();
    expect(summary).toContain('Fix attempted, not proven, no pull request (1):');
    expect(summary).toContain(TITLES.shell);
    expect(summary).toContain('the reproduction still exits 0');
    expect(comment()).toContain('the reproduction still exits 0');
  }, 300_000);

  it('does not open a second pull request for the same finding on the next scan', async () => {
    served = await serveRepository(github.installationToken);
    model = await startScriptedModelServer(scanAndFixSteps(REAL_FIX));
    expectScan(FIX_CONFIG, served.headSha);
    expectFixLookup();
    gh.user(BOT, BOT_ID);
    gh.user(REQUESTER, REQUESTER_ID);
    gh.createPullRequest(FIX_PR);
    expectIssueComment();
    await runScan();
    expect(gh.pullRequestsCreated()).toHaveLength(1);
    const fixRuns = model.requests.filter(isFixRequest).length;

    // The next scan: code scanning is off, so the finding is new again; the pull request
    // the first scan opened is open, from the branch named for the finding.
    const opened = gh.pullRequestsCreated()[0]?.body as { head: string };
    expectScan(FIX_CONFIG, served.headSha, true);
    expectFixLookup([openPullRequest(FIX_PR, opened.head)], false);
    const comment = expectIssueComment();
    await runScan(2);

    // Nothing spent on it: no fix run, no push, no second pull request.
    expect(model.requests.filter(isFixRequest)).toHaveLength(fixRuns);
    expect(gh.pullRequestsCreated()).toHaveLength(1);
    const summary = finalSummary();
    expect(summary).toContain('Code scanning alerts cannot be read here (403)');
    expect(summary).toContain('Not attempted (1):');
    expect(summary).toContain(`its fix is already proposed in #${FIX_PR}`);
    expect(comment()).toContain(`its fix is already proposed in #${FIX_PR}`);
  }, 400_000);

  it('attempts no fix when scan.fix is off', async () => {
    served = await serveRepository(github.installationToken);
    model = await startScriptedModelServer(scanAndFixSteps(REAL_FIX));
    expectScan('scan:\n  notify_at: high\n', served.headSha);

    await runScan();

    expect(model.requests.filter(isFixRequest)).toEqual([]);
    expect(gh.pullRequestsCreated()).toEqual([]);
    expect(finalSummary()).not.toContain('Fix pull requests');
  }, 300_000);

  it('attempts no fix for a reproduced finding below scan.fix_at', async () => {
    // The command injection rated high, under fix_at critical.
    const script = plantedScript();
    const lowered = {
      ...script,
      findings: script.findings.map((f) =>
        f.title === TITLES.shell ? { ...f, severity: 'high' as const } : f,
      ),
    };
    served = await serveRepository(github.installationToken);
    model = await startScriptedModelServer(scanAndFixSteps(REAL_FIX, lowered));
    expectScan('scan:\n  notify_at: high\n  fix: true\n  fix_at: critical\n', served.headSha);

    await runScan();

    expect(finalSummary()).toContain(`new: **high** CWE-78 ${TITLES.shell}`);
    expect(finalSummary()).toContain('reproduced');
    expect(model.requests.filter(isFixRequest)).toEqual([]);
    expect(gh.pullRequestsCreated()).toEqual([]);
    expect(finalSummary()).not.toContain('Fix pull requests');
  }, 300_000);

  it('says a proven fix could not be published when the push is refused, and opens nothing', async () => {
    // A token without contents: write: the git server refuses every push.
    served = await serveRepository(github.installationToken, { pushes: false });
    model = await startScriptedModelServer(scanAndFixSteps(REAL_FIX));
    expectScan(FIX_CONFIG, served.headSha);
    expectFixLookup();
    gh.user(BOT, BOT_ID);
    gh.user(REQUESTER, REQUESTER_ID);
    const comment = expectIssueComment();

    await runScan();

    expect(gh.pullRequestsCreated()).toEqual([]);
    expect(await branchesOf(served.bare)).toEqual(['refs/heads/main']);
    const summary = finalSummary();
    expect(summary).toContain('Fix attempted, not proven, no pull request (1):');
    expect(summary).toContain(
      'the fix was proven but could not be published: Nothing could be pushed',
    );
    expect(comment()).toContain('could not be published');
    expect(summary).not.toContain(github.installationToken);
  }, 300_000);
});
