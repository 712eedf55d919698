#!/usr/bin/env node
// Extracts, from GitHub's published OpenAPI description (@octokit/openapi), the request
// body schemas of the endpoints Patchling calls, into test/fixtures/github-request-schemas.json.
// Tests validate every body sent to (mocked) GitHub against them. The package is 385 MB
// unpacked, so it is not a dependency; run this when the endpoint list changes:
//   npm pack @octokit/openapi && tar xzf octokit-openapi-*.tgz && node scripts/extract-github-schemas.mjs package/generated/api.github.com.deref.json
import { readFileSync, writeFileSync } from 'node:fs';

const ENDPOINTS = [
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['post', '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/reactions'],
  ['post', '/repos/{owner}/{repo}/check-runs'],
  ['patch', '/repos/{owner}/{repo}/check-runs/{check_run_id}'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
  ['put', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies'],
  ['post', '/repos/{owner}/{repo}/pulls'],
  ['post', '/repos/{owner}/{repo}/code-scanning/sarifs'],
  ['post', '/app/installations/{installation_id}/access_tokens'],
];

const [, , file] = process.argv;
if (!file) {
  console.error('usage: extract-github-schemas.mjs path/to/api.github.com.deref.json');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(file, 'utf8'));
const out = { source: `@octokit/openapi ${spec.info?.version ?? ''}`.trim(), endpoints: {} };
for (const [method, route] of ENDPOINTS) {
  const operation = spec.paths?.[route]?.[method];
  if (!operation) {
    console.error(`not in the spec: ${method.toUpperCase()} ${route}`);
    continue;
  }
  const schema = operation.requestBody?.content?.['application/json']?.schema ?? null;
  out.endpoints[`${method.toUpperCase()} ${route}`] = schema;
}
writeFileSync(
  new URL('../test/fixtures/github-request-schemas.json', import.meta.url),
  JSON.stringify(out, null, 1) + '\n',
);
console.log(`wrote ${Object.keys(out.endpoints).length} schemas`);
