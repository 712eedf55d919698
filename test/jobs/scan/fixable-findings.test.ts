import { describe, expect, it } from 'vitest';
import {
  MAX_FIX_ATTEMPTS_PER_SCAN,
  selectFixableFindings,
} from '../../../src/jobs/scan/fixable-findings.js';
import type { ProofStatus, ScanFinding } from '../../../src/jobs/scan/scan-finding.js';
import type { Severity } from '../../../src/jobs/scan/scan-output.js';

function finding(
  fingerprint: string,
  severity: Severity,
  status: ProofStatus,
  confidence = 0.9,
): ScanFinding {
  return {
    fingerprint,
    title: `finding ${fingerprint}`,
    cwe: 'CWE-78',
    severity,
    confidence,
    path: 'bin/backup.sh',
    startLine: 5,
    endLine: 5,
    evidence: 'eval',
    rootCause: 'eval of input',
    explanation: 'x',
    flow: [],
    related: [],
    proof: {
      status,
      explanation: 'y',
      ...(status === 'unproven'
        ? {}
        : {
            reproduction: {
              command: 'bash repro.sh',
              description: 'z',
              exitCode: status === 'reproduced' ? 0 : 1,
              output: '',
              outputTruncated: false,
              patch: '',
            },
          }),
    },
  };
}

describe('selectFixableFindings', () => {
  it('takes reproduced findings at or above fix_at, and leaves the rest', () => {
    const selection = selectFixableFindings(
      [
        finding('a', 'critical', 'reproduced'),
        finding('b', 'high', 'reproduced'),
        finding('c', 'medium', 'reproduced'),
        finding('d', 'critical', 'confirmed'),
        finding('e', 'critical', 'unproven'),
      ],
      'high',
    );
    expect(selection.chosen.map((f) => f.fingerprint)).toEqual(['a', 'b']);
    expect(selection.deferred).toEqual([]);
  });

  it('takes none below fix_at', () => {
    const selection = selectFixableFindings([finding('b', 'high', 'reproduced')], 'critical');
    expect(selection.chosen).toEqual([]);
  });

  it('takes the most severe, then the most confident, first, up to the limit; the rest are deferred with why', () => {
    const findings = [
      finding('low-confidence', 'high', 'reproduced', 0.7),
      finding('medium', 'medium', 'reproduced'),
      finding('critical', 'critical', 'reproduced'),
      finding('confident', 'high', 'reproduced', 0.95),
    ];
    const selection = selectFixableFindings(findings, 'low', 2);
    expect(selection.chosen.map((f) => f.fingerprint)).toEqual(['critical', 'confident']);
    expect(selection.deferred).toEqual([
      { finding: findings[0], reason: 'at most 2 fixes are attempted per scan' },
      { finding: findings[1], reason: 'at most 2 fixes are attempted per scan' },
    ]);
  });

  it('attempts at most MAX_FIX_ATTEMPTS_PER_SCAN by default', () => {
    const many = Array.from({ length: MAX_FIX_ATTEMPTS_PER_SCAN + 2 }, (_, i) =>
      finding(`f${i}`, 'high', 'reproduced'),
    );
    const selection = selectFixableFindings(many, 'high');
    expect(selection.chosen).toHaveLength(MAX_FIX_ATTEMPTS_PER_SCAN);
    expect(selection.deferred).toHaveLength(2);
  });
});
