import { describe, expect, it } from 'vitest';
import type { FixChangesResult } from '../../../src/jobs/fix/fix-changes.js';
import { renderFixPullRequestBody } from '../../../src/jobs/fix/render-fix-report.js';
import { MAX_BODY_CHARS } from '../../../src/github/limits.js';
import { renderFindingEvidence } from '../../../src/jobs/scan/finding-fix-text.js';
import type { RecheckResult } from '../../../src/jobs/scan/recheck-reproduction.js';
import type { Reproduction, ScanFinding } from '../../../src/jobs/scan/scan-finding.js';

// Every model-written field at the most its schema allows (explanation and flow: no cap).
const REPRODUCTION: Reproduction = {
  command: `bash repro.sh ${'x'.repeat(1_980)}`,
  description: 'd'.repeat(500),
  exitCode: 0,
  output: 'o'.repeat(4_000),
  outputTruncated: true,
  patch: `+${'p'.repeat(19_999)}`,
};

const FINDING: ScanFinding = {
  fingerprint: '787caf8c98e12c5d',
  title: 't'.repeat(120),
  cwe: 'CWE-78',
  severity: 'critical',
  confidence: 0.9,
  path: 'bin/backup.sh',
  startLine: 5,
  endLine: 5,
  evidence: 'eval "$1"',
  rootCause: 'backup evals its argument',
  explanation: 'The argument reaches eval. '.repeat(8_000),
  flow: Array.from({ length: 2_000 }, (_, line) => ({
    path: 'bin/backup.sh',
    line: line + 1,
    note: 'n'.repeat(300),
  })),
  related: [],
  proof: { status: 'reproduced', explanation: 'ran', reproduction: REPRODUCTION },
};

const RECHECK: RecheckResult = {
  status: 'gone',
  reason: 'the reproduction exits 0 on the scanned commit and 1 with the fix',
  before: { exitCode: 0, timedOut: false, output: 'b'.repeat(4_000), outputTruncated: true },
  after: { exitCode: 1, timedOut: false, output: 'a'.repeat(4_000), outputTruncated: true },
};

const RESULT: FixChangesResult = {
  status: 'ready',
  message: 'Quoted the argument.',
  report: {
    summary: 'Quoted the argument. '.repeat(2_000),
    files_changed: ['bin/backup.sh'],
    tests: [],
    risks: '',
  },
  files: [{ path: 'bin/backup.sh', status: 'modified' }],
  problems: [],
  runId: '20250101T000000Z-abc123',
  usage: {
    inputTokens: 1,
    cachedInputTokens: 0,
    outputTokens: 1,
    reasoningTokens: 0,
    totalTokens: 2,
  },
};

describe("a scan finding's pull request body", () => {
  it("fits GitHub's limit however long the model wrote, and still asks for a review", () => {
    const evidence = renderFindingEvidence({
      finding: FINDING,
      reproduction: REPRODUCTION,
      recheck: RECHECK,
    });
    const body = renderFixPullRequestBody({
      origin: { kind: 'scan_finding', fingerprint: FINDING.fingerprint },
      result: RESULT,
      evidence,
      modelConfig: { model: 'gpt-test', profile: { name: 'openai' } },
    });
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(body).toMatch(
      /\n\nPlease review: Patchling opened this pull request as a draft and will not merge it\.$/,
    );
    // The reproduction before and after is what proves the fix: the model's essay is cut first.
    expect(evidence).toContain('## Reproduction after the fix');
    expect(evidence.length).toBeLessThan(MAX_BODY_CHARS / 2 + 20_000);
  });
});
