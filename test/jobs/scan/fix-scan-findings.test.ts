import { describe, expect, it } from 'vitest';
import type { ScanJob } from '../../../src/jobs/job.js';
import { RepoConfig } from '../../../src/jobs/repo-config.js';
import type { AgentJobDeps } from '../../../src/jobs/run-agent-job.js';
import { fixScanFindings } from '../../../src/jobs/scan/fix-scan-findings.js';
import { renderScanFixes } from '../../../src/jobs/scan/render-scan-fixes.js';
import type { ScanFinding } from '../../../src/jobs/scan/scan-finding.js';
import type { ScanResult } from '../../../src/jobs/scan/scan-repository.js';
import { SecretRedactor } from '../../../src/util/redact-secrets.js';

const REPRODUCED: ScanFinding = {
  fingerprint: '787caf8c98e12c5d',
  title: 'Command injection through @octo-team',
  cwe: 'CWE-78',
  severity: 'critical',
  confidence: 0.9,
  path: 'bin/backup.sh',
  startLine: 5,
  endLine: 5,
  evidence: 'eval',
  rootCause: 'backup.sh evals the project name',
  explanation: 'x',
  flow: [],
  related: [],
  proof: {
    status: 'reproduced',
    explanation: 'y',
    reproduction: {
      command: 'bash repro.sh',
      description: 'z',
      exitCode: 0,
      output: 'injected command ran',
      outputTruncated: false,
      patch: '',
    },
  },
};

function scanResult(overrides: Partial<ScanResult> = {}): ScanResult {
  return {
    status: 'completed',
    message: 'Scanned 6 files: 1 finding.',
    scanId: 's1',
    mode: 'full',
    head: 'a'.repeat(40),
    artefactsDir: '/tmp/none',
    findings: [REPRODUCED],
    dropped: [],
    scannedFiles: ['bin/backup.sh'],
    skippedFiles: [],
    notCovered: [],
    runIds: [],
    usage: {
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      totalTokens: 0,
    },
    durationMs: 1_000,
    ...overrides,
  };
}

/** Deps that fail the test if a fix gets as far as asking GitHub or the model anything. */
function untouchableDeps(): AgentJobDeps {
  return new Proxy({ maxTurns: 10 } as AgentJobDeps, {
    get(target, key) {
      if (key === 'maxTurns') return target.maxTurns;
      throw new Error(`no fix should have used deps.${String(key)}`);
    },
  });
}

const JOB: ScanJob = {
  kind: 'scan',
  repo: { owner: 'octo-org', repo: 'shop' },
  ref: 'refs/heads/main',
  trigger: 'schedule',
};

function input(yaml: Record<string, unknown>, result: ScanResult) {
  return {
    deps: untouchableDeps(),
    job: JOB,
    config: RepoConfig.parse({ scan: yaml }),
    result,
    newFindings: result.findings,
    workspace: '/nonexistent',
    token: 'ghs_token',
    redactor: new SecretRedactor([]),
    signal: new AbortController().signal,
    now: () => 1_000_000,
  };
}

describe('fixScanFindings before any fix runs', () => {
  it('does nothing when scan.fix is off', async () => {
    expect(await fixScanFindings(input({}, scanResult()))).toEqual({ outcomes: [] });
  });

  it('does nothing when no new finding qualifies', async () => {
    const result = scanResult();
    const fixes = await fixScanFindings({
      ...input({ fix: true }, result),
      newFindings: [],
    });
    expect(fixes).toEqual({ outcomes: [] });
  });

  it('attempts no fix after a scan cut short, and says so', async () => {
    const fixes = await fixScanFindings(
      input({ fix: true }, scanResult({ status: 'incomplete', cutReason: 'tokens' })),
    );
    expect(fixes.outcomes).toEqual([]);
    expect(fixes.note).toContain('the scan was cut short');
  });

  it('attempts no fix when the scan spent its token budget', async () => {
    const result = scanResult({
      usage: { ...scanResult().usage, inputTokens: 20_000, totalTokens: 20_000 },
    });
    const fixes = await fixScanFindings(input({ fix: true, max_tokens: 20_000 }, result));
    expect(fixes.note).toBe(
      'No fixes were attempted: the scan spent its token budget (20000 of 20000).',
    );
  });

  it('attempts no fix past the scan deadline (its start plus scan.timeout_minutes)', async () => {
    const result = scanResult({ durationMs: 61 * 60_000 });
    const fixes = await fixScanFindings(input({ fix: true, timeout_minutes: 60 }, result));
    expect(fixes.note).toBe('No fixes were attempted: the scan reached its time limit.');
  });
});

describe('renderScanFixes', () => {
  it('lists the pull requests, the fixes not proven and those not attempted, mentions defused', () => {
    const text = renderScanFixes({
      outcomes: [
        {
          kind: 'opened',
          finding: REPRODUCED,
          link: 'https://github.com/o/r/pull/14',
          summary: '',
        },
        { kind: 'not_proven', finding: REPRODUCED, reason: 'the reproduction still exits 0' },
        { kind: 'skipped', finding: REPRODUCED, reason: 'its fix is already proposed in #14' },
      ],
    });
    expect(text).toContain('Opened (1):');
    expect(text).toContain('https://github.com/o/r/pull/14');
    expect(text).toContain(
      'Fix attempted, not proven, no pull request (1):\n- **critical** CWE-78',
    );
    expect(text).toContain('the reproduction still exits 0');
    expect(text).toContain('Not attempted (1):');
    expect(text).toContain('`bin/backup.sh:5`');
    expect(text).not.toContain('@octo-team');
  });

  it('is empty when scan.fix had nothing to say', () => {
    expect(renderScanFixes({ outcomes: [] })).toBe('');
  });
});
