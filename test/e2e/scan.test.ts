import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scanScriptSteps } from '../../eval/scan/scripted-scan-model.js';
import { PLANTED_FILES, plantedScript, TITLES } from '../jobs/scan/planted-repo.js';
import { validateWithMultitool } from '../support/sarif-multitool.js';
import { startScenario, type Scenario } from './harness.js';

// The real CLI (tsx start-up, sandboxes, scratch copies) on a real repository.
vi.setConfig({ testTimeout: 180_000 });

const open: Scenario[] = [];
afterEach(async () => {
  for (const scenario of open.splice(0)) await scenario.close();
});

async function scenario(): Promise<Scenario> {
  const started = await startScenario(scanScriptSteps(plantedScript()), { files: PLANTED_FILES });
  open.push(started);
  return started;
}

describe('patchling scan', () => {
  it('prints the findings with their proof, writes SARIF, and exits 1 at --fail-on', async () => {
    const s = await scenario();
    const result = await s.run(['scan', '--sarif', 'scan.sarif', '--fail-on', 'critical']);

    expect(result.stderr).toContain('mapping the attack surface');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`CRITICAL CWE-78 ${TITLES.shell}`);
    expect(result.stdout).toContain('proof: reproduced (`bash repro.sh` exited 0)');
    expect(result.stdout).toContain(`Left out`);
    expect(result.stdout).not.toContain(s.apiKey);
    const sarif = JSON.parse(await readFile(path.join(s.repo.dir, 'scan.sarif'), 'utf8'));
    expect(sarif.runs[0].results).toHaveLength(3);
    expect((await validateWithMultitool(sarif)).errors).toEqual([]);
  });

  it('exits 0 with --json when nothing reaches the bar, and 2 on a bad --since', async () => {
    const s = await scenario();
    const clean = await s.run(['scan', '--json']);
    expect(clean.code).toBe(0);
    const json = JSON.parse(clean.stdout);
    expect(json).toMatchObject({ status: 'completed', mode: 'full' });
    expect(json.findings.map((f: { cwe: string }) => f.cwe).sort()).toEqual([
      'CWE-78',
      'CWE-798',
      'CWE-89',
    ]);

    const bad = await s.run(['scan', '--since', 'no-such-ref']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since no-such-ref is not a commit in this repository.');
  });
});
