import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadScanFixtures } from '../eval/scan/fixtures.js';
import { scanScriptSteps } from '../eval/scan/scripted-scan-model.js';
import { defaultRepoConfig } from '../src/jobs/repo-config.js';
import { scanRepository } from '../src/jobs/scan/scan-repository.js';
import { scanSarif } from '../src/jobs/scan/scan-sarif.js';
import { SecretRedactor } from '../src/util/redact-secrets.js';
import { makeGitRepo } from '../test/support/git-repo.js';
import { startScriptedModelServer } from '../test/support/model-server/index.js';
import { testModelConfig } from '../test/support/test-model-config.js';
import { median, round, type BenchResult } from './bench-result.js';

/**
 * A scan of each eval fixture repository with the scripted model: wall time (sandboxes,
 * scratch copies and git included, the model's thinking not), what was sent to the model
 * (bytes of request bodies; ~4 bytes a token), and the SARIF as uploaded. The scripted
 * model's own usage figures are made up, so tokens are estimated from what was sent.
 */
export async function benchScan(): Promise<BenchResult[]> {
  const fixtures = await loadScanFixtures();
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-scan-'));
  const times: number[] = [];
  let requestBytes = 0;
  let requests = 0;
  let sarifJson = 0;
  let sarifGzipped = 0;
  try {
    for (const fixture of fixtures) {
      const repo = await makeGitRepo(fixture.files);
      const { usagePerTurn: _ignored, ...script } = fixture.script;
      const server = await startScriptedModelServer(scanScriptSteps(script));
      try {
        const started = performance.now();
        const result = await scanRepository({
          workspace: repo.dir,
          settings: defaultRepoConfig().scan,
          sandboxEnv: [],
          modelConfig: testModelConfig(server.baseURL, 'responses', {
            idleTimeoutMs: 30_000,
            requestTimeoutMs: 60_000,
          }),
          stateDir,
          env: {},
          budgets: { maxTurnsPerRun: 4 },
          scratchParent: os.tmpdir(),
        });
        times.push(performance.now() - started);
        const sarif = await scanSarif(result, {
          workspace: repo.dir,
          redactor: new SecretRedactor([]),
        });
        sarifJson += Buffer.byteLength(JSON.stringify(sarif.log));
        sarifGzipped += sarif.gzipped.length;
        requests += server.requests.length;
        requestBytes += server.requests.reduce((sum, r) => sum + Buffer.byteLength(r.rawBody), 0);
      } finally {
        await server.close();
        await repo.remove();
      }
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
  const note = `${fixtures.length} eval fixtures, scripted model`;
  return [
    { name: 'scan.fixture.wall.p50', value: round(median(times), 0), unit: 'ms', note },
    {
      name: 'scan.fixtures.wall.total',
      value: round(
        times.reduce((a, b) => a + b, 0),
        0,
      ),
      unit: 'ms',
      note,
    },
    { name: 'scan.model.requests', value: requests, unit: 'requests', note },
    {
      name: 'scan.model.input.estimated',
      value: Math.round(requestBytes / 4),
      unit: 'tokens',
      note: 'request bytes / 4',
    },
    { name: 'scan.sarif.json', value: sarifJson, unit: 'bytes', note },
    { name: 'scan.sarif.gzipped', value: sarifGzipped, unit: 'bytes', note },
  ];
}
