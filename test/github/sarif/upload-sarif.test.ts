import { gunzipSync, gzipSync } from 'node:zlib';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../src/github/create-github-client.js';
import { uploadSarif } from '../../../src/github/sarif/upload-sarif.js';
import { SecretRedactor } from '../../../src/util/redact-secrets.js';
import { expectValidGitHubRequest } from '../../support/github-schemas.js';
import { withBody } from '../../support/nock-request.js';
import { useNock } from '../helpers.js';

const API = 'https://api.github.com';
const REPO = { owner: 'octo-org', repo: 'shop' };
const ID = '47177e22-5596-11eb-80a1-c1e54ef945c6';
const SHA = 'b'.repeat(40);

function client() {
  return createGitHubClient({
    auth: 'ghs_testtoken',
    baseUrl: API,
    redactor: new SecretRedactor([]),
    throttle: { onRateLimit: () => undefined, onSecondaryRateLimit: () => undefined },
    retries: 0,
  });
}

useNock();

describe('uploadSarif', () => {
  const log = { version: '2.1.0', runs: [] };
  const gzipped = gzipSync(JSON.stringify(log));

  it('sends the log gzipped then base64-encoded, and polls until GitHub has processed it', async () => {
    let sent: Record<string, unknown> | undefined;
    nock(API)
      .post(`/repos/octo-org/shop/code-scanning/sarifs`)
      .reply(
        withBody((body) => {
          sent = body as Record<string, unknown>;
          expectValidGitHubRequest('POST', '/repos/{owner}/{repo}/code-scanning/sarifs', body);
          return [202, { id: ID, url: `${API}/repos/octo-org/shop/code-scanning/sarifs/${ID}` }];
        }),
      );
    const status = `/repos/octo-org/shop/code-scanning/sarifs/${ID}`;
    nock(API)
      .get(status)
      .reply(200, { processing_status: 'pending', analyses_url: null, errors: null });
    nock(API)
      .get(status)
      .reply(200, { processing_status: 'complete', analyses_url: 'x', errors: null });
    const waits: number[] = [];
    const outcome = await uploadSarif({
      github: client(),
      repo: REPO,
      commitSha: SHA,
      ref: 'refs/heads/main',
      gzipped,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect(outcome).toEqual({ status: 'complete', sarifId: ID });
    expect(waits).toEqual([1_000, 2_000]);
    expect(sent).toMatchObject({ commit_sha: SHA, ref: 'refs/heads/main', tool_name: 'Patchling' });
    expect(
      JSON.parse(gunzipSync(Buffer.from(String(sent?.sarif), 'base64')).toString('utf8')),
    ).toEqual(log);
  });

  it('reports the errors of a log GitHub could not process, and a pending one without waiting forever', async () => {
    const status = `/repos/octo-org/shop/code-scanning/sarifs/${ID}`;
    nock(API)
      .post('/repos/octo-org/shop/code-scanning/sarifs')
      .twice()
      .reply(202, { id: ID, url: 'x' });
    nock(API)
      .get(status)
      .reply(200, {
        processing_status: 'failed',
        errors: ['locationFromSarifResult: expected artifact location'],
      });
    const sleep = () => Promise.resolve();
    const options = {
      github: client(),
      repo: REPO,
      commitSha: SHA,
      ref: 'refs/heads/main',
      gzipped,
      sleep,
    };
    expect(await uploadSarif(options)).toEqual({
      status: 'failed',
      sarifId: ID,
      errors: ['locationFromSarifResult: expected artifact location'],
    });
    nock(API).get(status).times(3).reply(200, { processing_status: 'pending' });
    expect(await uploadSarif({ ...options, maxPolls: 3 })).toEqual({
      status: 'pending',
      sarifId: ID,
    });
  });
});
