import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildSarif } from '../../../src/github/sarif/build-sarif.js';
import { fitSarifLimits, SARIF_LIMITS } from '../../../src/github/sarif/fit-sarif-limits.js';
import type { SarifFinding, SarifSeverity } from '../../../src/github/sarif/sarif-types.js';

function finding(index: number, severity: SarifSeverity, flowSteps = 0): SarifFinding {
  return {
    fingerprint: index.toString(16).padStart(16, '0'),
    title: `Finding ${index}`,
    cwe: 'CWE-89',
    severity,
    confidence: 0.9,
    path: `src/file-${index}.py`,
    startLine: 1,
    endLine: 1,
    // Incompressible, so the gzipped size grows with the results.
    explanation: randomBytes(300).toString('hex'),
    flow: Array.from({ length: flowSteps }, (_, step) => ({
      path: 'a.py',
      line: step + 1,
      note: 'step',
    })),
    related: [],
    proof: { status: 'confirmed', explanation: 'By reading.' },
  };
}

async function log(findings: readonly SarifFinding[]) {
  return buildSarif({
    findings,
    toolVersion: '0.1.0',
    head: 'a'.repeat(40),
    executionSuccessful: true,
    notes: [],
    category: 'patchling/scan-full',
    readFile: () => Promise.resolve(undefined),
  });
}

describe('fitSarifLimits', () => {
  it('leaves a log within the limits alone, gzipped', async () => {
    const sarif = await log([finding(1, 'high')]);
    const fitted = fitSarifLimits(sarif);
    expect(fitted.notes).toEqual([]);
    expect(JSON.parse(gunzipSync(fitted.gzipped).toString('utf8'))).toEqual(sarif);
  });

  it('keeps the most severe results past the count limit, and says so in the log', async () => {
    const findings = [
      finding(1, 'low'),
      finding(2, 'critical'),
      finding(3, 'medium'),
      finding(4, 'high'),
    ];
    const fitted = fitSarifLimits(await log(findings), { ...SARIF_LIMITS, maxResults: 2 });
    const kept = fitted.log.runs[0]?.results.map((r) => r.properties.severity);
    expect(kept).toEqual(['critical', 'high']);
    expect(fitted.notes).toEqual([
      '2 lowest-severity results left out: GitHub includes at most 2 per run',
    ]);
    expect(fitted.log.runs[0]?.invocations[0]?.toolExecutionNotifications?.[0]?.message.text).toBe(
      fitted.notes[0],
    );
  });

  it('drops lowest-severity results until the gzipped log fits the upload limit', async () => {
    const findings = Array.from({ length: 40 }, (_, i) =>
      finding(i + 1, i < 10 ? 'critical' : 'low'),
    );
    const full = fitSarifLimits(await log(findings));
    const limit = Math.floor(full.gzipped.length * 0.6);
    const fitted = fitSarifLimits(await log(findings), { ...SARIF_LIMITS, maxGzippedBytes: limit });
    expect(fitted.gzipped.length).toBeLessThanOrEqual(limit);
    const severities = fitted.log.runs[0]?.results.map((r) => r.properties.severity) ?? [];
    expect(severities.filter((s) => s === 'critical')).toHaveLength(10);
    expect(severities.length).toBeLessThan(40);
    expect(fitted.notes[0]).toMatch(
      /lowest-severity results left out to fit GitHub's \d+-byte upload limit/,
    );
  });

  it('cuts a code flow to the locations GitHub includes', async () => {
    const fitted = fitSarifLimits(await log([finding(1, 'high', 1_500)]));
    expect(fitted.log.runs[0]?.results[0]?.codeFlows?.[0]?.threadFlows[0]?.locations).toHaveLength(
      1_000,
    );
  });
});
