import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScanFixtures } from '../../eval/scan/fixtures.js';
import { formatScanReport, runScanEval } from '../../eval/scan/run-eval.js';
import { scoreScan } from '../../eval/scan/score.js';
import { startScriptedModelServer, step } from '../support/model-server/index.js';

let tempDir: string;
beforeAll(async () => {
  tempDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-scan-eval-test-')));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe('the scan eval in scripted mode', () => {
  it('scans every fixture repository and gets exactly the scripted score', async () => {
    const report = await runScanEval({ mode: 'scripted', stateDir: path.join(tempDir, 'all') });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const byName = Object.fromEntries(
      report.fixtures.map((f) => [f.name, [f.status, f.reported.map((r) => r.cwe).join(',')]]),
    );
    expect(byName).toEqual({
      'clean-parameterised-queries': ['completed', ''],
      'clean-safe-convert': ['completed', ''],
      'hardcoded-secret-mailer': ['completed', 'CWE-798'],
      'missing-authz-delete-user': ['completed', 'CWE-862'],
      'path-traversal-download': ['completed', 'CWE-22'],
      'shell-injection-thumbnail': ['completed', 'CWE-78'],
      'sql-injection-orders': ['completed', 'CWE-89'],
      'ssrf-link-preview': ['completed', 'CWE-918'],
      'unsafe-deserialisation-session': ['completed', 'CWE-502'],
      'xss-greeting': ['completed', 'CWE-79'],
    });
    expect(report.totals).toMatchObject({
      truePositives: 8,
      falsePositives: 0,
      falseNegatives: 0,
      cleanWithZeroFindings: 2,
    });
    // The clean fixture's false alarm was refuted by the prover, not silently lost.
    expect(report.fixtures.find((f) => f.name === 'clean-parameterised-queries')?.dropped).toEqual([
      {
        title: 'Possible SQL injection in orders_for',
        reason: expect.stringMatching(/^refuted: /),
      },
    ]);
    expect(formatScanReport(report)).toContain('Scripted gate: passed');
  }, 180_000);

  it('fails the gate when a finding is lost', async () => {
    const [fixture] = await loadScanFixtures(undefined, ['xss-greeting']);
    if (!fixture) throw new Error('no fixture');
    const lost = { ...fixture, script: { ...fixture.script, findings: [] } };
    const report = await runScanEval({
      mode: 'scripted',
      stateDir: path.join(tempDir, 'lost'),
      fixtures: [lost],
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      'xss-greeting: scored TP 0 FP 0 FN 1, not what its scripted.json says',
    ]);
  }, 60_000);
});

describe('the scan eval in real mode', () => {
  it('resolves the model from the environment and reports without gating on the score', async () => {
    const nothing = JSON.stringify({ summary: 'Nothing.', findings: [] });
    const model = JSON.stringify({
      summary: 's',
      entry_points: [],
      trust_boundaries: [],
      sinks: [],
      priority_files: [],
    });
    const server = await startScriptedModelServer([step.text(model), step.text(nothing)]);
    try {
      const report = await runScanEval({
        mode: 'real',
        stateDir: path.join(tempDir, 'real'),
        only: ['xss-greeting'],
        env: {
          PATCHLING_PROVIDER: 'local',
          OPENAI_BASE_URL: server.baseURL,
          PATCHLING_MODEL: 'some-model',
        },
      });
      expect(report.model).toBe('local/some-model');
      expect(report.totals).toMatchObject({ truePositives: 0, falseNegatives: 1 });
      expect(report.ok).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('scoreScan', () => {
  const expected = [{ cwe: 'CWE-89', path: 'a.py', lines: [10, 11] as [number, number] }];
  it('matches by CWE, file and overlapping lines within the tolerance', () => {
    expect(
      scoreScan(expected, [{ cwe: 'CWE-89', path: 'a.py', startLine: 13, endLine: 13 }]),
    ).toEqual({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
    expect(
      scoreScan(expected, [{ cwe: 'CWE-78', path: 'a.py', startLine: 10, endLine: 10 }]),
    ).toEqual({ truePositives: 0, falsePositives: 1, falseNegatives: 1 });
    expect(
      scoreScan(expected, [{ cwe: 'CWE-89', path: 'a.py', startLine: 20, endLine: 20 }]),
    ).toEqual({ truePositives: 0, falsePositives: 1, falseNegatives: 1 });
  });
});
