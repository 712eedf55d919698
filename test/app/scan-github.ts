/**
 * What a scan job asks api.github.com and the git server, played on top of mockGitHub
 * (test/support/app-harness.ts): the planted repository behind smart HTTP, the command
 * comment, the commit, the check run, the config and files, Patchling's previous analyses
 * and alerts (shaped as GitHub's OpenAPI examples), the SARIF upload and its status, and the
 * issue for new findings. Writes go through `github.write` (GitHub's request schemas).
 */
import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SarifLog } from '../../src/github/sarif/sarif-types.js';
import type { GitHubMock } from '../support/app-harness.js';
import { startGitHttpServer } from '../support/git-http-server.js';
import { withBody } from '../support/nock-request.js';
import { TEST_INSTALLATION, webhookPayload } from '../support/webhook-payloads.js';
import { git } from '../workspace/git/pr-fixture.js';

export const OWNER = 'octo-org';
export const REPO = 'shop';
export const ISSUE = 3;
export const COMMENT_ID = 9001;
export const CHECK_RUN_ID = 555;
export const SARIF_ID = '47177e22-5596-11eb-80a1-c1e54ef945c6';
export const NEW_ISSUE = 12;

export const repository = {
  name: REPO,
  full_name: `${OWNER}/${REPO}`,
  owner: { login: OWNER },
  default_branch: 'main',
  html_url: `https://github.com/${OWNER}/${REPO}`,
  url: `https://api.github.com/repos/${OWNER}/${REPO}`,
};

/**
 * A repository with one commit per entry of `commits` (each the whole tree's files: those
 * of the previous commit it lacks are deleted), behind
 * authenticated smart HTTP as GitHub would serve it; the shas in order.
 */
export async function serveCommits(
  token: string,
  commits: readonly Readonly<Record<string, string>>[],
) {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-scan-app-')));
  const src = path.join(root, 'src');
  await git(root, 'init', '--quiet', '--initial-branch=main', src);
  const shas: string[] = [];
  let previous: Readonly<Record<string, string>> = {};
  for (const [index, files] of commits.entries()) {
    // Files of the previous commit missing from this one are deleted.
    for (const file of Object.keys(previous).filter((name) => !(name in files)))
      await git(src, 'rm', '--quiet', '--', file);
    previous = files;
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(src, file)), { recursive: true });
      await writeFile(path.join(src, file), content);
    }
    await git(src, 'add', '-A');
    await git(src, 'commit', '--quiet', '-m', `Commit ${index + 1}`);
    shas.push(await git(src, 'rev-parse', 'HEAD'));
  }
  const bare = path.join(root, OWNER, `${REPO}.git`);
  await mkdir(path.dirname(bare), { recursive: true });
  await git(root, 'clone', '--quiet', '--bare', src, bare);
  await git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  const server = await startGitHttpServer({ projectRoot: root, token });
  return { server, root, shas, headSha: shas.at(-1) as string };
}

export function scanCommand(body = '/patchling scan', commentId = COMMENT_ID) {
  return webhookPayload('issue_comment', 'created', {
    issue: { number: ISSUE, title: 'Security', state: 'open', pull_request: undefined },
    comment: { id: commentId, body, user: { login: 'alice', type: 'User' } },
    sender: { login: 'alice', type: 'User' },
    repository,
  });
}

/** A code scanning alert of Patchling's, as `GET …/code-scanning/alerts` lists it. */
export function alertJson(
  number: number,
  state: string,
  fingerprint: string,
  where: { rule?: string; path?: string; line?: number; severity?: string } = {},
) {
  const { rule = 'patchling/cwe-798', path = 'app/settings.py', line = 2 } = where;
  return {
    number,
    state,
    html_url: `https://github.com/${OWNER}/${REPO}/security/code-scanning/${number}`,
    dismissed_reason: state === 'dismissed' ? 'used in tests' : null,
    rule: { id: rule, severity: 'error', security_severity_level: where.severity ?? 'high' },
    tool: { name: 'Patchling', version: '0.1.0' },
    most_recent_instance: {
      ref: 'refs/heads/main',
      state,
      category: 'patchling/scan-full/',
      message: { text: `A finding.\n\nPatchling id: ${fingerprint}` },
      location: { path, start_line: line, end_line: line, start_column: 1, end_column: 40 },
    },
  };
}

/**
 * An analysis as `GET …/code-scanning/analyses` lists it: the fields and values of the
 * example in GitHub's OpenAPI description, for Patchling's tool and category.
 */
export function analysisJson(id: number, commitSha: string, createdAt: Date, category: string) {
  return {
    ref: 'refs/heads/main',
    commit_sha: commitSha,
    analysis_key: '(API)',
    environment: '{}',
    error: '',
    category,
    created_at: createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    results_count: 3,
    rules_count: 3,
    id,
    url: `https://api.github.com/repos/${OWNER}/${REPO}/code-scanning/analyses/${id}`,
    sarif_id: '6c81cd8e-b078-4ac3-a3be-1dad7dbd0b53',
    tool: { name: 'Patchling', guid: null, version: '0.1.0' },
    deletable: true,
    warning: '',
  };
}

/**
 * The GitHub side of one `/patchling scan` job on `headSha`: everything it reads and
 * writes, with the previous `analyses` and `alerts` given. The upload and the issue are
 * kept for the test to read.
 */
export function mockScanJob(
  github: GitHubMock,
  options: {
    readonly headSha: string;
    readonly config: string;
    readonly analyses: readonly unknown[];
    readonly alerts: readonly unknown[];
  },
) {
  const { headSha } = options;
  github.installationAuth(TEST_INSTALLATION.id);
  github.app();
  github.repoConfig(OWNER, REPO, options.config);
  github.repoConfig(OWNER, REPO, options.config);
  github.permission(OWNER, REPO, 'alice', 'write');
  github.write(
    'POST',
    '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
    { owner: OWNER, repo: REPO, comment_id: COMMENT_ID },
    () => [201, { id: 1, content: 'eyes' }],
  );
  github.scope
    .get(`/repos/${OWNER}/${REPO}/commits/refs%2Fheads%2Fmain`)
    .reply(200, { sha: headSha });
  github.write('POST', '/repos/{owner}/{repo}/check-runs', { owner: OWNER, repo: REPO }, (body) => [
    201,
    {
      id: CHECK_RUN_ID,
      head_sha: body.head_sha,
      name: body.name,
      status: body.status,
      output: body.output,
    },
  ]);
  const patched = (body: Record<string, unknown>) =>
    [200, { id: CHECK_RUN_ID, status: body.status }] as const;
  const runParams = { owner: OWNER, repo: REPO, check_run_id: CHECK_RUN_ID };
  github.write('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', runParams, patched);
  for (let i = 0; i < 4; i++) {
    github.write('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', runParams, patched, {
      optional: true,
    });
  }
  github.scope
    .get(`/repos/${OWNER}/${REPO}/code-scanning/analyses`)
    .query({
      tool_name: 'Patchling',
      ref: 'refs/heads/main',
      sort: 'created',
      direction: 'desc',
      per_page: '100',
    })
    .reply(200, [...options.analyses]);
  github.repoFile(OWNER, REPO, '.gitattributes', headSha);
  github.repoFile(OWNER, REPO, 'AGENTS.override.md', headSha);
  github.repoFile(OWNER, REPO, 'AGENTS.md', headSha);
  github.scope
    .get(`/repos/${OWNER}/${REPO}/code-scanning/alerts`)
    .query({ tool_name: 'Patchling', ref: 'refs/heads/main', per_page: '100', page: '1' })
    .reply(200, [...options.alerts]);
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
  github.scope
    .post(`/repos/${OWNER}/${REPO}/issues`)
    .optionally()
    .reply(
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
  return {
    uploaded: () => uploaded,
    /** The uploaded SARIF, decoded. */
    sarif: (): SarifLog =>
      JSON.parse(
        gunzipSync(Buffer.from(String(uploaded?.sarif), 'base64')).toString('utf8'),
      ) as SarifLog,
    issue: () => issue,
    /** The check run's final summary. */
    summary: () => {
      const final = github.calls
        .filter((c) => c.method === 'PATCH' && c.path.endsWith(`/check-runs/${CHECK_RUN_ID}`))
        .at(-1);
      return {
        body: final?.body,
        text: String((final?.body as { output?: { summary?: string } }).output?.summary),
      };
    },
  };
}
