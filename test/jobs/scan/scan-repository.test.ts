import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { scanScriptSteps } from '../../../eval/scan/scripted-scan-model.js';
import { compareWithAlerts } from '../../../src/github/sarif/code-scanning-alerts.js';
import type { SarifLog } from '../../../src/github/sarif/sarif-types.js';
import { defaultRepoConfig } from '../../../src/jobs/repo-config.js';
import { scanRepository, type ScanResult } from '../../../src/jobs/scan/scan-repository.js';
import { scanSarif } from '../../../src/jobs/scan/scan-sarif.js';
import { SecretRedactor } from '../../../src/util/redact-secrets.js';
import { makeGitRepo, type TempGitRepo } from '../../support/git-repo.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../../support/model-server/index.js';
import { validateWithMultitool } from '../../support/sarif-multitool.js';
import { testModelConfig } from '../../support/test-model-config.js';
import { PLANTED_FILES, plantedScript, TITLES } from './planted-repo.js';

const run = promisify(execFile);
const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const task of cleanup.splice(0).reverse()) await task();
});

async function plantedRepo(): Promise<TempGitRepo> {
  const repo = await makeGitRepo(PLANTED_FILES, 'patchling-scan-');
  cleanup.push(() => repo.remove());
  return repo;
}

async function scan(
  dir: string,
  script: ReturnType<typeof plantedScript>,
  extra: { since?: string; maxTokens?: number; maxBatchTokens?: number } = {},
): Promise<{ result: ScanResult; server: ScriptedModelServer }> {
  const server = await startScriptedModelServer(scanScriptSteps(script));
  cleanup.push(() => server.close());
  const result = await scanRepository({
    workspace: dir,
    ...(extra.since ? { since: extra.since } : {}),
    settings: defaultRepoConfig().scan,
    sandboxEnv: [],
    modelConfig: testModelConfig(server.baseURL, 'responses', {
      idleTimeoutMs: 30_000,
      requestTimeoutMs: 60_000,
    }),
    stateDir: path.join(dir, '..', `${path.basename(dir)}-state`),
    env: {},
    budgets: { maxTurnsPerRun: 4, maxTokens: extra.maxTokens, deadlineAt: Date.now() + 5 * 60_000 },
    scratchParent: os.tmpdir(),
    ...(extra.maxBatchTokens ? { maxBatchTokens: extra.maxBatchTokens } : {}),
  });
  cleanup.push(() => run('rm', ['-rf', path.join(dir, '..', `${path.basename(dir)}-state`)]));
  return { result, server };
}

async function commitEdit(dir: string, edits: Readonly<Record<string, string>>): Promise<void> {
  for (const [file, content] of Object.entries(edits))
    await writeFile(path.join(dir, file), content);
  await run(
    'git',
    [
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@t.invalid',
      '-c',
      'commit.gpgsign=false',
      'commit',
      '-qam',
      'edit',
    ],
    { cwd: dir },
  );
}

const byTitle = (result: ScanResult, title: string) =>
  result.findings.find((f) => f.title === title);

describe('scanRepository on a repository with planted vulnerabilities', () => {
  it('keeps the proven findings, drops the rest with reasons, and writes SARIF GitHub accepts', async () => {
    const repo = await plantedRepo();
    const { result } = await scan(repo.dir, plantedScript());

    expect(result.status).toBe('completed');
    expect(result.mode).toBe('full');
    expect(result.findings.map((f) => [f.title, f.cwe, f.severity, f.proof.status]).sort()).toEqual(
      [
        [TITLES.shell, 'CWE-78', 'critical', 'reproduced'],
        [TITLES.secret, 'CWE-798', 'high', 'confirmed'],
        [TITLES.sql, 'CWE-89', 'high', 'confirmed'],
      ].sort(),
    );
    // The reproduction Patchling ran itself, with what it printed and the file it needs.
    const shell = byTitle(result, TITLES.shell);
    expect(shell?.proof.reproduction).toMatchObject({
      command: 'bash repro.sh',
      exitCode: 0,
      output: expect.stringContaining('injected command ran'),
      patch: expect.stringContaining('+++ b/repro.sh'),
    });
    // The near-duplicate was merged into the finding that stands for its root cause.
    expect(byTitle(result, TITLES.sql)?.related).toEqual([{ path: 'app/search.py', line: 7 }]);
    expect(result.dropped.map((d) => [d.candidate.title, d.reason])).toEqual(
      expect.arrayContaining([
        [TITLES.testOnly, 'test-only code (tests/test_search.py)'],
        [TITLES.redos, expect.stringMatching(/^denial of service only \(CWE-1333\)/)],
        [TITLES.miscited, 'the quoted evidence is not on app/search.py:1-1'],
        [TITLES.refuted, expect.stringMatching(/^refuted: parse_version matches/)],
        [TITLES.weak, 'unproven, and its confidence 0.4 is below scan.min_confidence 0.7'],
      ]),
    );
    expect(result.dropped.map((d) => d.candidate.title)).not.toContain(TITLES.sqlDuplicate);
    expect(result.skippedFiles).toEqual([
      { path: 'dist/bundle.js', reason: 'generated (under dist/)' },
    ]);
    // The threat model is an artefact of the scan.
    const model = JSON.parse(
      await readFile(path.join(result.artefactsDir, 'threat-model.json'), 'utf8'),
    );
    expect(model.priority_files).toEqual(['bin/backup.sh', 'app/search.py']);

    const sarif = await scanSarif(result, {
      workspace: repo.dir,
      redactor: new SecretRedactor([]),
    });
    const validation = await validateWithMultitool(sarif.log);
    expect(validation.errors).toEqual([]);
    const run0 = sarif.log.runs[0];
    expect(run0?.invocations[0]?.executionSuccessful).toBe(true);
    const rule = run0?.tool.driver.rules.find((r) => r.id === 'patchling/cwe-78');
    expect(rule?.properties).toMatchObject({
      tags: expect.arrayContaining(['security', 'external/cwe/cwe-078']),
      'security-severity': '9.5',
    });
    const sqlResult = run0?.results.find((r) => r.ruleId === 'patchling/cwe-89');
    expect(sqlResult?.codeFlows?.[0]?.threadFlows[0]?.locations).toHaveLength(2);
    expect(sqlResult?.partialFingerprints).toEqual({
      'patchlingRootCause/v1': byTitle(result, TITLES.sql)?.fingerprint,
      primaryLocationLineHash: expect.stringMatching(/^[0-9a-f]+:1$/),
    });
    const shellResult = run0?.results.find((r) => r.ruleId === 'patchling/cwe-78');
    expect(shellResult?.properties).toMatchObject({
      proof: 'reproduced',
      reproduction: { exitCode: 0 },
    });
  }, 180_000);

  it('gives the same fingerprints after an unrelated edit shifts the lines, so nothing is new', async () => {
    const repo = await plantedRepo();
    const first = await scan(repo.dir, plantedScript());
    const firstSarif = await scanSarif(first.result, {
      workspace: repo.dir,
      redactor: new SecretRedactor([]),
    });

    const edited = {
      ...PLANTED_FILES,
      'app/search.py': `"""Product search."""\n# Shifted by an unrelated edit.\n\n${PLANTED_FILES['app/search.py']}`,
      'bin/backup.sh': (PLANTED_FILES['bin/backup.sh'] ?? '').replace(
        'set -u\n',
        'set -u\n# a comment\n# another\n',
      ),
    };
    await commitEdit(repo.dir, {
      'app/search.py': edited['app/search.py'],
      'bin/backup.sh': edited['bin/backup.sh'],
    });
    const second = await scan(repo.dir, plantedScript(edited));
    const secondSarif = await scanSarif(second.result, {
      workspace: repo.dir,
      redactor: new SecretRedactor([]),
    });

    const lines = (result: ScanResult) =>
      Object.fromEntries(result.findings.map((f) => [f.title, f.startLine]));
    expect(lines(second.result)[TITLES.sql]).toBe((lines(first.result)[TITLES.sql] ?? 0) + 3);
    expect(lines(second.result)[TITLES.shell]).toBe((lines(first.result)[TITLES.shell] ?? 0) + 2);
    expect(fingerprints(secondSarif.log)).toEqual(fingerprints(firstSarif.log));

    // Compared with the alerts the first upload made, nothing is new.
    const alerts = first.result.findings.map((f, index) => ({
      number: index + 1,
      state: 'open' as const,
      fingerprint: f.fingerprint,
    }));
    const comparison = compareWithAlerts(second.result.findings, alerts);
    expect(comparison.new).toEqual([]);
    expect(comparison.stillPresent).toHaveLength(3);
    expect(comparison.fixed).toEqual([]);
  }, 300_000);

  it('scans only what changed since a commit when asked', async () => {
    const repo = await plantedRepo();
    const { stdout } = await run('git', ['rev-parse', 'HEAD'], { cwd: repo.dir });
    const edited = {
      ...PLANTED_FILES,
      'app/settings.py': `${PLANTED_FILES['app/settings.py'] ?? ''}TIMEOUT = 3\n`,
    };
    await commitEdit(repo.dir, { 'app/settings.py': edited['app/settings.py'] });
    const { result, server } = await scan(repo.dir, plantedScript(edited), {
      since: stdout.trim(),
    });
    expect(result.mode).toBe('diff');
    expect(result.scannedFiles).toEqual(['app/settings.py']);
    expect(result.findings.map((f) => f.title)).toEqual([TITLES.secret]);
    // The hunt was shown the changed file only.
    const hunt = server.requests.find((r) => r.rawBody.includes('# Hunting for vulnerabilities'));
    expect(hunt?.rawBody).toContain('=== app/settings.py');
    expect(hunt?.rawBody).not.toContain('=== app/search.py');
  }, 180_000);

  it('ends gracefully when the token budget runs out: what was found is kept, the rest is named', async () => {
    const repo = await plantedRepo();
    // 1,100 tokens a turn against 2,000: the threat model fits in the hunt's 70% share,
    // the first hunt batch does too, then nothing more does.
    const { result } = await scan(
      repo.dir,
      plantedScript(PLANTED_FILES, { inputTokens: 1000, outputTokens: 100 }),
      {
        maxTokens: 2_000,
        // A file a batch: the hunt has several parts to cut.
        maxBatchTokens: 100,
      },
    );
    expect(result.status).toBe('incomplete');
    expect(result.cutReason).toMatch(/token budget/);
    expect(result.notCovered.length).toBeGreaterThan(0);
    expect(result.message).toMatch(/^Scan incomplete/);
    const sarif = await scanSarif(result, {
      workspace: repo.dir,
      redactor: new SecretRedactor([]),
    });
    expect(sarif.log.runs[0]?.invocations[0]?.executionSuccessful).toBe(false);
    expect(
      sarif.log.runs[0]?.invocations[0]?.toolExecutionNotifications?.[0]?.message.text,
    ).toMatch(/Coverage was cut/);
    expect((await validateWithMultitool(sarif.log)).errors).toEqual([]);
  }, 180_000);
});

function fingerprints(log: SarifLog): string[] {
  return (log.runs[0]?.results ?? []).map((r) => JSON.stringify(r.partialFingerprints)).sort();
}
