/**
 * The review eval: each fixture pull request made into a real repository, its diff
 * reviewed by reviewChanges (the engine of the App and of `patchling review`), and the
 * findings scored against the bugs the fixture is known to hold.
 *
 * Two modes:
 * - scripted (the default, CI): a scripted model on loopback reads the changed files in
 *   the sandbox, then answers each fixture's scripted.json. The model is fixed, so what is
 *   measured is the pipeline: the eval passes only when every fixture scores exactly what
 *   its scripted.json says, and the model demonstrably saw the diff and the head.
 * - real: the provider configured in the environment, as `patchling review` resolves it.
 *   The scores are measured and reported; only a crash or a failed review fails the run.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { describeError } from '../../src/errors.js';
import type { Priority } from '../../src/jobs/review/finding.js';
import { reviewChanges, type ReviewChangesResult } from '../../src/jobs/review/review-changes.js';
import { defaultRepoConfig } from '../../src/jobs/repo-config.js';
import { resolveModelConfig, type ModelConfig } from '../../src/model/model-config.js';
import { addUsage, ZERO_USAGE, type Usage } from '../../src/model/types.js';
import { parseUnifiedDiff, type SkippedFile } from '../../src/workspace/diff/index.js';
import { diffAgainst } from '../../src/workspace/git/diff-against.js';
import {
  startScriptedModelServer,
  step,
  type ScriptStep,
  type ScriptedModelServer,
} from '../../test/support/model-server/index.js';
import { testModelConfig } from '../../test/support/test-model-config.js';
import type { EvalMode } from '../eval-mode.js';
import { createFixtureRepo, loadFixtures, type Fixture } from './fixtures.js';
import {
  LINE_TOLERANCE,
  scoreFindings,
  totalScore,
  type ExpectedFinding,
  type FixtureScore,
  type Totals,
} from './score.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ReviewEvalOptions {
  readonly mode: EvalMode;
  /** Where the run logs go (`runs/<id>.jsonl`). */
  readonly stateDir: string;
  /** Default: every fixture in eval/review/fixtures (or those named by `only`). */
  readonly fixtures?: readonly Fixture[];
  readonly only?: readonly string[];
  /** Default process.env. Real mode resolves the model from it. */
  readonly env?: Env;
  /** Real mode: instead of resolving the model from `env`. */
  readonly modelConfig?: ModelConfig;
  /** Turns per review. Default 4 scripted (it needs 2), 40 real. */
  readonly maxTurns?: number;
  /** Per fixture. Default 2 minutes scripted, 15 minutes real. */
  readonly timeoutMs?: number;
  /** Where the fixture repositories are made. Default the OS temp directory. */
  readonly workDir?: string;
  /** One line per fixture as it finishes. */
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ReportedFindingSummary {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly priority: Priority;
  readonly confidence: number;
  readonly title: string;
  readonly explanation: string;
  readonly hasSuggestion: boolean;
  readonly verifiedSuggestion: boolean;
}

export interface PipelineCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface FixtureResult {
  readonly name: string;
  readonly description: string;
  /** The fixture expects no findings. */
  readonly clean: boolean;
  /** The review's status, or `crashed` when reviewChanges (or the setup) threw. */
  readonly status: ReviewChangesResult['status'] | 'crashed';
  readonly message: string;
  readonly durationMs: number;
  readonly expected: readonly ExpectedFinding[];
  /** What the pipeline reported, after its filters: what would be posted. */
  readonly reported: readonly ReportedFindingSummary[];
  /** What the pipeline's filters left out, and why; not scored. */
  readonly dropped: readonly {
    readonly path: string;
    readonly start_line: number;
    readonly end_line: number;
    readonly priority: Priority;
    readonly title: string;
    readonly reason: string;
  }[];
  readonly score: FixtureScore;
  readonly reviewedFiles: readonly string[];
  readonly skippedFiles: readonly SkippedFile[];
  readonly runIds: readonly string[];
  readonly usage: Usage;
  readonly warnings: readonly string[];
  /** Scripted mode: the score the fixture must get, and the checks that the model saw it. */
  readonly scripted?: {
    readonly expectedScore: Fixture['scripted']['score'];
    readonly scoreMatches: boolean;
    readonly checks: readonly PipelineCheck[];
  };
}

export interface ReviewEvalReport {
  readonly mode: EvalMode;
  readonly model: { readonly provider: string; readonly api: string; readonly model: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly lineTolerance: number;
  readonly fixtures: readonly FixtureResult[];
  readonly totals: Totals;
  readonly usage: Usage;
  /**
   * Scripted: every fixture completed with exactly its scripted score and passed the
   * pipeline checks. Real: every review ran (none crashed, failed or failed in part).
   */
  readonly ok: boolean;
  /** Why `ok` is false, one line each. */
  readonly problems: readonly string[];
}

export async function runReviewEval(options: ReviewEvalOptions): Promise<ReviewEvalReport> {
  const env = options.env ?? process.env;
  const startedAt = new Date();
  const fixtures = options.fixtures ?? (await loadFixtures(undefined, options.only ?? []));
  // Resolved before the first fixture: a configuration mistake should not cost a review.
  const realModel =
    options.mode === 'real' ? (options.modelConfig ?? resolveModelConfig({}, env)) : undefined;
  await mkdir(options.stateDir, { recursive: true });

  const results: FixtureResult[] = [];
  for (const [index, fixture] of fixtures.entries()) {
    options.signal?.throwIfAborted();
    const result = await evaluateFixture(fixture, index, options, env, realModel);
    results.push(result);
    options.onProgress?.(progressLine(result, index, fixtures.length));
  }

  const problems = results.flatMap((result) => problemsOf(result, options.mode));
  return {
    mode: options.mode,
    model: realModel
      ? { provider: realModel.profile.name, api: realModel.api, model: realModel.model }
      : { provider: 'scripted', api: 'responses', model: 'scripted' },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    lineTolerance: LINE_TOLERANCE,
    fixtures: results,
    totals: totalScore(
      results.map((result) => ({
        clean: result.clean,
        reported: result.reported.length,
        score: result.score,
      })),
    ),
    usage: results.reduce((sum, result) => addUsage(sum, result.usage), ZERO_USAGE),
    ok: problems.length === 0,
    problems,
  };
}

async function evaluateFixture(
  fixture: Fixture,
  index: number,
  options: ReviewEvalOptions,
  env: Env,
  realModel: ModelConfig | undefined,
): Promise<FixtureResult> {
  const started = Date.now();
  const warnings: string[] = [];
  let server: ScriptedModelServer | undefined;
  let repo: Awaited<ReturnType<typeof createFixtureRepo>> | undefined;
  try {
    repo = await createFixtureRepo(fixture, options.workDir ?? os.tmpdir());
    const diff = await diffAgainst({ dir: repo.dir, base: repo.baseSha });
    const changed = parseUnifiedDiff(diff);

    let modelConfig: ModelConfig;
    if (realModel) {
      modelConfig = realModel;
    } else {
      server = await startScriptedModelServer(scriptFor(fixture, changedInHead(changed)));
      modelConfig = testModelConfig(server.baseURL, 'responses', {
        idleTimeoutMs: 30_000,
        requestTimeoutMs: 60_000,
      });
    }
    const scripted = options.mode === 'scripted';
    const timeoutMs = options.timeoutMs ?? (scripted ? 2 * 60_000 : 15 * 60_000);
    const review = await reviewChanges({
      workspace: repo.dir,
      diff,
      subject:
        `Review pull request #${index + 1} (main ← feature). Its title and body follow. ` +
        'Its diff against the merge base follows.',
      untrusted: [
        { label: 'pull request title', text: fixture.title },
        { label: 'pull request body', text: fixture.body },
      ],
      settings: defaultRepoConfig().review,
      sandboxEnv: [],
      modelConfig,
      stateDir: options.stateDir,
      env,
      budgets: {
        maxTurns: options.maxTurns ?? (scripted ? 4 : 40),
        deadlineAt: Date.now() + timeoutMs,
      },
      scratchParent: options.workDir ?? os.tmpdir(),
      onWarning: (message) => warnings.push(message),
      ...(options.signal ? { signal: options.signal } : {}),
    });

    const reported = review.findings.map(({ finding, verifiedSuggestion }) => ({
      path: finding.path,
      start_line: finding.start_line,
      end_line: finding.end_line,
      priority: finding.priority,
      confidence: finding.confidence,
      title: finding.title,
      explanation: finding.explanation,
      hasSuggestion: finding.suggestion !== null,
      verifiedSuggestion,
    }));
    const score = scoreFindings(fixture.expected, reported);
    return {
      name: fixture.name,
      description: fixture.description,
      clean: fixture.expected.length === 0,
      status: review.status,
      message: review.message,
      durationMs: Date.now() - started,
      expected: fixture.expected,
      reported,
      dropped: review.dropped.map(({ finding, reason }) => ({
        path: finding.path,
        start_line: finding.start_line,
        end_line: finding.end_line,
        priority: finding.priority,
        title: finding.title,
        reason,
      })),
      score,
      reviewedFiles: review.reviewedFiles,
      skippedFiles: review.skippedFiles,
      runIds: review.runIds,
      usage: review.usage,
      warnings,
      ...(server
        ? {
            scripted: {
              expectedScore: fixture.scripted.score,
              scoreMatches:
                score.truePositives === fixture.scripted.score.truePositives &&
                score.falsePositives === fixture.scripted.score.falsePositives &&
                score.falseNegatives === fixture.scripted.score.falseNegatives,
              checks: pipelineChecks(fixture, changed, review, server),
            },
          }
        : {}),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return {
      name: fixture.name,
      description: fixture.description,
      clean: fixture.expected.length === 0,
      status: 'crashed',
      message: describeError(error),
      durationMs: Date.now() - started,
      expected: fixture.expected,
      reported: [],
      dropped: [],
      score: scoreFindings(fixture.expected, []),
      reviewedFiles: [],
      skippedFiles: [],
      runIds: [],
      usage: ZERO_USAGE,
      warnings,
    };
  } finally {
    await server?.close();
    await repo?.remove();
  }
}

type ChangedFiles = ReturnType<typeof parseUnifiedDiff>;

/** The changed files that exist in the head (everything but deletions). */
function changedInHead(changed: ChangedFiles): string[] {
  return changed.filter((file) => file.status !== 'deleted').map((file) => file.path);
}

/**
 * What the scripted model does: hash the changed files in the sandbox (so the eval can
 * check the sandbox held the head), then answer the fixture's scripted review.
 */
function scriptFor(fixture: Fixture, headPaths: readonly string[]): ScriptStep[] {
  const answer = step.text(JSON.stringify(fixture.scripted.answer));
  if (headPaths.length === 0) return [answer];
  return [
    step.toolCalls([
      {
        name: 'shell',
        arguments: { command: ['sha256sum', '--', ...headPaths] },
        callId: 'call_hash_changed_files',
      },
    ]),
    answer,
  ];
}

/** That the scripted model was shown this fixture's change, and read its head. */
function pipelineChecks(
  fixture: Fixture,
  changed: ChangedFiles,
  review: ReviewChangesResult,
  server: ScriptedModelServer,
): PipelineCheck[] {
  const checks: PipelineCheck[] = [];
  const first = server.requests[0]?.rawBody ?? '';
  const paths = changed.map((file) => file.path);
  const missingFromPrompt = paths.filter((file) => !first.includes(`b/${file}`));
  checks.push({
    name: 'the model was shown the diff of every changed file',
    ok: paths.length > 0 && missingFromPrompt.length === 0,
    ...(missingFromPrompt.length > 0 ? { detail: `missing: ${missingFromPrompt.join(', ')}` } : {}),
  });

  const headPaths = changedInHead(changed);
  if (headPaths.length > 0) {
    const second = server.requests[1]?.rawBody ?? '';
    const unseen = headPaths.filter((file) => {
      const content = fixture.head[file];
      return content === undefined || !second.includes(sha256(content));
    });
    checks.push({
      name: 'the sandbox held the head: sha256sum of the changed files matched',
      ok: unseen.length === 0,
      ...(unseen.length > 0 ? { detail: `no matching hash for: ${unseen.join(', ')}` } : {}),
    });
  }

  const expectedRequests = headPaths.length > 0 ? 2 : 1;
  checks.push({
    name: 'the script was played to the end, one request per step',
    ok: server.remaining() === 0 && server.requests.length === expectedRequests,
    detail: `${server.requests.length} requests, ${server.remaining()} steps left`,
  });

  const reviewed = [...review.reviewedFiles].sort();
  const wanted = [...new Set(paths)].sort();
  checks.push({
    name: 'every changed file was reviewed, none skipped',
    ok: review.skippedFiles.length === 0 && JSON.stringify(reviewed) === JSON.stringify(wanted),
    ...(review.skippedFiles.length > 0
      ? { detail: review.skippedFiles.map((file) => `${file.path}: ${file.reason}`).join('; ') }
      : {}),
  });
  return checks;
}

function problemsOf(result: FixtureResult, mode: EvalMode): string[] {
  const problems: string[] = [];
  // A review that did not run (all of it, or some of its batches) measured nothing.
  if (result.status === 'crashed') problems.push(`${result.name}: crashed: ${result.message}`);
  else if (result.status === 'failed' || result.status === 'partial')
    problems.push(`${result.name}: ${result.message}`);
  // A real model that runs out of turns is a result to report; the scripted one never does.
  else if (result.status === 'budget_exceeded' && mode === 'scripted')
    problems.push(`${result.name}: ${result.message}`);
  if (mode === 'real' || result.status === 'crashed') return problems;

  const scripted = result.scripted;
  if (scripted === undefined) return [...problems, `${result.name}: not checked`];
  if (!scripted.scoreMatches) {
    const want = scripted.expectedScore;
    const got = result.score;
    problems.push(
      `${result.name}: scored TP ${got.truePositives} FP ${got.falsePositives} FN ${got.falseNegatives}, ` +
        `its scripted.json says TP ${want.truePositives} FP ${want.falsePositives} FN ${want.falseNegatives}`,
    );
  }
  for (const check of scripted.checks) {
    if (!check.ok)
      problems.push(`${result.name}: ${check.name}: no${check.detail ? ` (${check.detail})` : ''}`);
  }
  return problems;
}

function progressLine(result: FixtureResult, index: number, total: number): string {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = result.score;
  return `[${index + 1}/${total}] ${result.name}: ${result.status}, TP ${tp} FP ${fp} FN ${fn} (${(result.durationMs / 1000).toFixed(1)}s)`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
