import { rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { passOf, scanScriptSteps } from '../../eval/scan/scripted-scan-model.js';
import type { SarifLog } from '../../src/github/sarif/sarif-types.js';
import { rootCauseFingerprint } from '../../src/jobs/scan/root-cause.js';
import {
  alertJson,
  analysisJson,
  OWNER,
  REPO,
  SARIF_ID,
  serveCommits,
} from '../app/scan-github.js';
import { lineOf, PLANTED_FILES, plantedScript, TITLES } from '../jobs/scan/planted-repo.js';
import type { GitHttpServer } from '../support/git-http-server.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { withBody } from '../support/nock-request.js';
import { github, runAction, TOKEN, useGitHubMock } from './helpers.js';

const mock = useGitHubMock();
const R = `/repos/${OWNER}/${REPO}`;
const CHECK_RUN = 31;
const DAY = 24 * 60 * 60 * 1000;

let served: { server: GitHttpServer; root: string } | undefined;
let model: ScriptedModelServer | undefined;

afterEach(async () => {
  await model?.close();
  await served?.server.close();
  if (served) await rm(served.root, { recursive: true, force: true });
  model = served = undefined;
});

const EDITED: Readonly<Record<string, string>> = {
  ...PLANTED_FILES,
  'app/search.py': `# Product search.\n${PLANTED_FILES['app/search.py'] ?? ''}`,
};

function fingerprintOf(title: string): string {
  const found = plantedScript().findings.find((finding) => finding.title === title);
  if (!found) throw new Error(`no ${title} in the script`);
  return rootCauseFingerprint(found);
}

/** What the scheduled scan asks GitHub, with the analyses given; the upload is returned. */
function mockScheduledScan(headSha: string, analyses: readonly unknown[]) {
  const scope = github();
  // No config: routing reads it, then the scan job.
  scope
    .get(`${R}/contents/${encodeURIComponent('.github/patchling.yml')}`)
    .times(2)
    .reply(404, { message: 'Not Found' });
  scope.get(`${R}/commits/refs%2Fheads%2Fmain`).reply(200, { sha: headSha });
  scope.post(`${R}/check-runs`).reply(
    201,
    withBody((body) => {
      expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/check-runs', body);
      return { id: CHECK_RUN };
    }),
  );
  scope
    .patch(`${R}/check-runs/${CHECK_RUN}`)
    .times(10)
    .optionally()
    .reply(
      200,
      withBody((body) => {
        expectValidGitHubRequest('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', body);
        return { id: CHECK_RUN };
      }),
    );
  scope
    .get(`${R}/code-scanning/analyses`)
    .query({
      tool_name: 'Patchling',
      ref: 'refs/heads/main',
      sort: 'created',
      direction: 'desc',
      per_page: '100',
    })
    .reply(200, [...analyses]);
  for (const file of ['.gitattributes', 'AGENTS.override.md', 'AGENTS.md']) {
    scope
      .get(`${R}/contents/${encodeURIComponent(file)}`)
      .query({ ref: headSha })
      .reply(404, { message: 'Not Found' });
  }
  scope
    .get(`${R}/code-scanning/alerts`)
    .query({ tool_name: 'Patchling', ref: 'refs/heads/main', per_page: '100', page: '1' })
    .reply(200, [
      alertJson(2, 'open', fingerprintOf(TITLES.sql), {
        rule: 'patchling/cwe-89',
        path: 'app/search.py',
        line: lineOf(PLANTED_FILES, 'app/search.py', 'query = f"'),
      }),
      alertJson(3, 'open', fingerprintOf(TITLES.shell), {
        rule: 'patchling/cwe-78',
        path: 'bin/backup.sh',
        line: lineOf(PLANTED_FILES, 'bin/backup.sh', 'eval '),
        severity: 'critical',
      }),
      alertJson(1, 'dismissed', fingerprintOf(TITLES.secret)),
    ]);
  let uploaded: Record<string, unknown> | undefined;
  scope.post(`${R}/code-scanning/sarifs`).reply(
    202,
    withBody((body) => {
      expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/code-scanning/sarifs', body);
      uploaded = body as Record<string, unknown>;
      return { id: SARIF_ID, url: `https://api.github.com${R}/code-scanning/sarifs/${SARIF_ID}` };
    }),
  );
  scope
    .get(`${R}/code-scanning/sarifs/${SARIF_ID}`)
    .reply(200, { processing_status: 'complete', analyses_url: null, errors: null });
  // New findings at or above high open an issue; a full scan has some.
  scope
    .post(`${R}/issues`)
    .optionally()
    .reply(201, { number: 40, html_url: `https://github.com/${OWNER}/${REPO}/issues/40` });
  return () =>
    JSON.parse(
      gunzipSync(Buffer.from(String(uploaded?.sarif), 'base64')).toString('utf8'),
    ) as SarifLog;
}

async function runScheduled() {
  if (!served || !model) throw new Error('serve the repository and the model first');
  return runAction(
    'schedule',
    { schedule: '0 3 * * *' },
    {
      inputs: { provider: 'openai', api: 'responses', 'base-url': model.baseURL, model: 'm' },
      env: {
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SERVER_URL: served.server.url,
      },
    },
  );
}

describe('the Action on schedule', () => {
  it('scans what changed since the previous analysis while the last full scan is recent', async () => {
    const repo = await serveCommits(TOKEN, [PLANTED_FILES, EDITED]);
    served = repo;
    const [first, head] = repo.shas as [string, string];
    model = await startScriptedModelServer(scanScriptSteps(plantedScript(EDITED)));
    const sarif = mockScheduledScan(head, [
      analysisJson(12, first, new Date(Date.now() - 2 * DAY), 'patchling/scan-full'),
    ]);

    const run = await runScheduled();

    expect(run.stdout).not.toContain('::error::');
    expect(run.outputs).toMatchObject({ status: 'completed', job: 'scan' });
    const hunts = (model.requests ?? []).filter((request) => passOf(request) === 'hunt');
    expect(hunts.length).toBeGreaterThan(0);
    expect(hunts.map((hunt) => hunt.rawBody.includes('=== bin/backup.sh'))).toEqual(
      hunts.map(() => false),
    );
    const log = sarif().runs[0];
    expect(log?.automationDetails.id).toBe('patchling/scan-diff/');
    expect(
      log?.results.map((r) => [r.ruleId, r.properties.carriedForwardFromAlert ?? null]).sort(),
    ).toEqual([
      ['patchling/cwe-78', 3],
      ['patchling/cwe-798', 1],
      ['patchling/cwe-89', null],
    ]);
    const final = mock
      .sent()
      .filter((request) => request.method === 'PATCH')
      .at(-1)?.body as { output?: { summary?: string } };
    expect(final.output?.summary).toContain('Fixed: 0.');
  }, 180_000);

  it('scans in full when the last full scan is scan.full_every_days old', async () => {
    const repo = await serveCommits(TOKEN, [PLANTED_FILES, EDITED]);
    served = repo;
    const [first, head] = repo.shas as [string, string];
    model = await startScriptedModelServer(scanScriptSteps(plantedScript(EDITED)));
    const sarif = mockScheduledScan(head, [
      analysisJson(13, first, new Date(Date.now() - 1 * DAY), 'patchling/scan-diff'),
      analysisJson(12, first, new Date(Date.now() - 8 * DAY), 'patchling/scan-full'),
    ]);

    const run = await runScheduled();

    expect(run.outputs).toMatchObject({ status: 'completed', job: 'scan' });
    const hunted = (model.requests ?? [])
      .filter((request) => passOf(request) === 'hunt')
      .some((hunt) => hunt.rawBody.includes('=== bin/backup.sh'));
    expect(hunted).toBe(true);
    const log = sarif().runs[0];
    expect(log?.automationDetails.id).toBe('patchling/scan-full/');
    const final = mock
      .sent()
      .filter((request) => request.method === 'PATCH')
      .at(-1)?.body as { output?: { summary?: string } };
    expect(final.output?.summary).toContain(
      'Full scan: the last full scan is 8 days old (scan.full_every_days: 7).',
    );
    expect(log?.results.every((r) => r.properties.carriedForwardFromAlert === undefined)).toBe(
      true,
    );
  }, 180_000);
});
