/**
 * The scan eval: each fixture made into a real repository, scanned by scanRepository (the
 * engine of the App, the Action and `patchling scan`), its SARIF built as it would be
 * uploaded, and its findings scored by CWE, file and line.
 *
 * - scripted (default, CI): the scripted scan model answers each pass; the eval passes
 *   only when every fixture scores exactly what its scripted.json says.
 * - real: the provider configured in the environment; scores reported, not gated.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { describeError } from '../../src/errors.js';
import { defaultRepoConfig } from '../../src/jobs/repo-config.js';
import { scanRepository, type ScanResult } from '../../src/jobs/scan/scan-repository.js';
import { scanSarif } from '../../src/jobs/scan/scan-sarif.js';
import { resolveModelConfig, type ModelConfig } from '../../src/model/model-config.js';
import { addUsage, ZERO_USAGE, type Usage } from '../../src/model/types.js';
import { SecretRedactor } from '../../src/util/redact-secrets.js';
import { makeGitRepo } from '../../test/support/git-repo.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../../test/support/model-server/index.js';
import { testModelConfig } from '../../test/support/test-model-config.js';
import type { EvalMode } from '../eval-mode.js';
import { loadScanFixtures, type ExpectedVulnerability, type ScanFixture } from './fixtures.js';
import { scoreScan, totalScanScore, type ScanScore, type ScanTotals } from './score.js';
import { scanScriptSteps } from './scripted-scan-model.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ScanEvalOptions {
  readonly mode: EvalMode;
  readonly stateDir: string;
  readonly fixtures?: readonly ScanFixture[];
  readonly only?: readonly string[];
  readonly env?: Env;
  readonly maxTurns?: number;
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ScanFixtureResult {
  readonly name: string;
  readonly description: string;
  readonly clean: boolean;
  readonly status: ScanResult['status'] | 'crashed';
  readonly message: string;
  readonly durationMs: number;
  readonly expected: readonly ExpectedVulnerability[];
  readonly reported: readonly {
    cwe: string;
    path: string;
    startLine: number;
    endLine: number;
    title: string;
    proof: string;
  }[];
  readonly dropped: readonly { title: string; reason: string }[];
  readonly score: ScanScore;
  readonly usage: Usage;
  /** Bytes of the SARIF as uploaded (gzipped) and as JSON. */
  readonly sarifBytes: { readonly json: number; readonly gzipped: number };
  readonly scoreMatches?: boolean;
}

export interface ScanEvalReport {
  readonly mode: EvalMode;
  readonly model: string;
  readonly fixtures: readonly ScanFixtureResult[];
  readonly totals: ScanTotals;
  readonly usage: Usage;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export async function runScanEval(options: ScanEvalOptions): Promise<ScanEvalReport> {
  const env = options.env ?? process.env;
  const started = Date.now();
  const fixtures = options.fixtures ?? (await loadScanFixtures(undefined, options.only ?? []));
  const realModel = options.mode === 'real' ? resolveModelConfig({}, env) : undefined;
  await mkdir(options.stateDir, { recursive: true });
  const results: ScanFixtureResult[] = [];
  for (const [index, fixture] of fixtures.entries()) {
    options.signal?.throwIfAborted();
    const result = await evaluate(fixture, options, env, realModel);
    results.push(result);
    const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = result.score;
    options.onProgress?.(
      `[${index + 1}/${fixtures.length}] ${fixture.name}: ${result.status}, TP ${tp} FP ${fp} FN ${fn} (${(result.durationMs / 1000).toFixed(1)}s, ${result.usage.totalTokens} tokens)`,
    );
  }
  const problems = results.flatMap((result) => {
    if (result.status === 'crashed' || result.status === 'failed')
      return [`${result.name}: ${result.message}`];
    if (options.mode === 'scripted' && result.scoreMatches === false) {
      const s = result.score;
      return [
        `${result.name}: scored TP ${s.truePositives} FP ${s.falsePositives} FN ${s.falseNegatives}, not what its scripted.json says`,
      ];
    }
    if (options.mode === 'scripted' && result.status !== 'completed')
      return [`${result.name}: ${result.message}`];
    return [];
  });
  return {
    mode: options.mode,
    model: realModel ? `${realModel.profile.name}/${realModel.model}` : 'scripted',
    fixtures: results,
    totals: totalScanScore(
      results.map((r) => ({ clean: r.clean, reported: r.reported.length, score: r.score })),
    ),
    usage: results.reduce((sum, r) => addUsage(sum, r.usage), ZERO_USAGE),
    durationMs: Date.now() - started,
    ok: problems.length === 0,
    problems,
  };
}

async function evaluate(
  fixture: ScanFixture,
  options: ScanEvalOptions,
  env: Env,
  realModel: ModelConfig | undefined,
): Promise<ScanFixtureResult> {
  const started = Date.now();
  let server: ScriptedModelServer | undefined;
  const repo = await makeGitRepo(fixture.files, `patchling-scan-eval-${fixture.name}-`);
  const base = {
    name: fixture.name,
    description: fixture.description,
    clean: fixture.expected.length === 0,
    expected: fixture.expected,
  };
  try {
    let modelConfig = realModel;
    if (modelConfig === undefined) {
      server = await startScriptedModelServer(scanScriptSteps(fixture.script));
      modelConfig = testModelConfig(server.baseURL, 'responses', {
        idleTimeoutMs: 30_000,
        requestTimeoutMs: 60_000,
      });
    }
    const scripted = options.mode === 'scripted';
    const result = await scanRepository({
      workspace: repo.dir,
      settings: defaultRepoConfig().scan,
      sandboxEnv: [],
      modelConfig,
      stateDir: options.stateDir,
      env,
      budgets: {
        maxTurnsPerRun: options.maxTurns ?? (scripted ? 4 : 40),
        deadlineAt: Date.now() + (scripted ? 2 : 20) * 60_000,
      },
      scratchParent: os.tmpdir(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const sarif = await scanSarif(result, {
      workspace: repo.dir,
      redactor: new SecretRedactor([modelConfig.apiKey]),
    });
    const reported = result.findings.map((f) => ({
      cwe: f.cwe,
      path: f.path,
      startLine: f.startLine,
      endLine: f.endLine,
      title: f.title,
      proof: f.proof.status,
    }));
    const score = scoreScan(fixture.expected, reported);
    return {
      ...base,
      status: result.status,
      message: result.message,
      durationMs: Date.now() - started,
      reported,
      dropped: result.dropped.map((d) => ({ title: d.candidate.title, reason: d.reason })),
      score,
      usage: result.usage,
      sarifBytes: {
        json: Buffer.byteLength(JSON.stringify(sarif.log)),
        gzipped: sarif.gzipped.length,
      },
      ...(server
        ? {
            scoreMatches:
              score.truePositives === fixture.scriptedScore.truePositives &&
              score.falsePositives === fixture.scriptedScore.falsePositives &&
              score.falseNegatives === fixture.scriptedScore.falseNegatives,
          }
        : {}),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return {
      ...base,
      status: 'crashed',
      message: describeError(error),
      durationMs: Date.now() - started,
      reported: [],
      dropped: [],
      score: scoreScan(fixture.expected, []),
      usage: ZERO_USAGE,
      sarifBytes: { json: 0, gzipped: 0 },
    };
  } finally {
    await server?.close();
    await repo.remove();
  }
}

export function formatScanReport(report: ScanEvalReport): string {
  const t = report.totals;
  const gz = report.fixtures.reduce((n, f) => n + f.sarifBytes.gzipped, 0);
  const json = report.fixtures.reduce((n, f) => n + f.sarifBytes.json, 0);
  const lines = [
    `Scan eval (${report.mode}, ${report.model}): ${report.fixtures.length} fixtures in ${(report.durationMs / 1000).toFixed(1)}s`,
    ...report.fixtures.map(
      (f) =>
        `  ${f.name}: ${f.status}, TP ${f.score.truePositives} FP ${f.score.falsePositives} FN ${f.score.falseNegatives}, ${(f.durationMs / 1000).toFixed(1)}s, ${f.usage.totalTokens} tokens, SARIF ${f.sarifBytes.json} B (${f.sarifBytes.gzipped} B gzipped)`,
    ),
    `Totals: TP ${t.truePositives}, FP ${t.falsePositives}, FN ${t.falseNegatives}; precision ${t.precision.toFixed(2)}, recall ${t.recall.toFixed(2)}; clean repositories with zero findings ${t.cleanWithZeroFindings}/${t.cleanFixtures}`,
    `Tokens: ${report.usage.totalTokens} (${report.usage.inputTokens} in, ${report.usage.outputTokens} out); SARIF: ${json} B, ${gz} B gzipped`,
  ];
  if (report.mode === 'scripted') lines.push(`Scripted gate: ${report.ok ? 'passed' : 'FAILED'}`);
  for (const problem of report.problems) lines.push(`  problem: ${problem}`);
  return `${lines.join('\n')}\n`;
}
