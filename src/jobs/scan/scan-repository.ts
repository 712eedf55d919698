import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentEvent } from '../../agent/events.js';
import type { AgentsInstructions } from '../../agent/load-agents-md.js';
import { loadPrompt } from '../../agent/load-prompt.js';
import { addUsage, ZERO_USAGE, type Usage } from '../../model/types.js';
import type { SkippedFile } from '../../workspace/diff/index.js';
import { newRunId } from '../prepare-agent-run.js';
import type { RepoConfig } from '../repo-config.js';
import { defaultBatchTokens } from '../review/review-changes.js';
import { checkCitation } from './check-citation.js';
import { falsePositiveClass, theoreticalRace } from './false-positive-classes.js';
import { proveCandidate } from './prove-candidate.js';
import { mergeByRootCause, type MergedCandidate } from './root-cause.js';
import { HUNT_SHARE, trackBudget, type ScanBudgets } from './scan-budget.js';
import type { DroppedCandidate, Proof, ScanFinding } from './scan-finding.js';
import {
  HuntOutput,
  huntOutputSpec,
  SEVERITY_RANK,
  ThreatModel,
  threatModelSpec,
  type Candidate,
} from './scan-output.js';
import { renderNumberedFile, scanScope, type ScanScope } from './scan-scope.js';
import { runStructuredPass, type PassEnvironment } from '../run-structured-pass.js';

export type ScanSettings = RepoConfig['scan'];

/** At most this many paths are listed for the threat model; it can list the rest itself. */
const MAX_LISTED_FILES = 2_000;

export type ScanPass =
  | { readonly pass: 'threat_model' }
  | {
      readonly pass: 'hunt';
      readonly index: number;
      readonly total: number;
      readonly files: readonly string[];
    }
  | {
      readonly pass: 'prove';
      readonly index: number;
      readonly total: number;
      readonly title: string;
    };

export interface ScanRepositoryOptions extends Omit<PassEnvironment, 'workspace'> {
  /** The checkout, at the commit to scan. */
  readonly workspace: string;
  /** Diff-aware: only files changed since this commit. */
  readonly since?: string | undefined;
  readonly settings: ScanSettings;
  readonly gitattributes?: string | undefined;
  readonly agents?: AgentsInstructions | undefined;
  readonly budgets: ScanBudgets;
  readonly maxBatchTokens?: number | undefined;
  readonly scratchParent?: string | undefined;
  readonly onPass?: ((pass: ScanPass) => void) | undefined;
  readonly onEvent?: ((event: AgentEvent, pass: ScanPass) => void) | undefined;
  /** Epoch ms; default Date.now. */
  readonly now?: (() => number) | undefined;
}

export interface ScanResult {
  /**
   * completed: everything in scope was hunted and every candidate examined. incomplete: a
   * budget or a failed pass cut coverage (see `notCovered`, `cutReason`). failed: no part
   * of the hunt ran.
   */
  readonly status: 'completed' | 'incomplete' | 'failed';
  readonly message: string;
  readonly scanId: string;
  readonly mode: ScanScope['mode'];
  readonly head: string;
  readonly since?: string;
  /** Where the threat model and the result are written. */
  readonly artefactsDir: string;
  readonly threatModel?: ThreatModel;
  readonly findings: readonly ScanFinding[];
  readonly dropped: readonly DroppedCandidate[];
  readonly scannedFiles: readonly string[];
  /** Not scanned by design: ignored, generated, vendored, binary, too large. */
  readonly skippedFiles: readonly SkippedFile[];
  /** In scope but not covered: the budget ran out or the pass failed. */
  readonly notCovered: readonly SkippedFile[];
  readonly cutReason?: string;
  readonly runIds: readonly string[];
  readonly usage: Usage;
  readonly durationMs: number;
}

/**
 * A security scan of a checkout, wherever it runs: threat model, hunt in batches, then
 * each candidate checked by Patchling (cited lines), filtered (known false-positive
 * classes), merged by root cause, and proven or dropped in a fresh context. Budgets end
 * it gracefully: what was found is kept and what was not covered is said. It publishes
 * nothing; the artefacts (threat model, result) are written under the state directory.
 */
export async function scanRepository(options: ScanRepositoryOptions): Promise<ScanResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const scanId = newRunId(new Date(started));
  const artefactsDir = path.join(options.stateDir, 'scans', scanId);
  await mkdir(artefactsDir, { recursive: true });
  const budget = trackBudget(options.budgets, now);
  const runIds: string[] = [];
  let usage = ZERO_USAGE;
  const spend = (run: { runId: string; usage: Usage }) => {
    runIds.push(run.runId);
    usage = addUsage(usage, run.usage);
    budget.spend(run.usage);
  };
  const scope = await scanScope({
    workspace: options.workspace,
    since: options.since,
    paths: options.settings.paths,
    ignorePaths: options.settings.ignore_paths,
    gitattributes: options.gitattributes,
    maxBatchTokens: options.maxBatchTokens ?? defaultBatchTokens(options.modelConfig),
    signal: options.signal,
  });
  const notCovered: SkippedFile[] = [];
  const warnings: string[] = [];
  let cutReason: string | undefined;
  const cut = (reason: string) => {
    cutReason ??= reason;
  };
  const inScope = [...new Set(scope.batches.flat().map((file) => file.path))];

  // 1. The threat model: where input enters, where it must not reach.
  let threatModel: ThreatModel | undefined;
  if (inScope.length > 0) {
    const room = budget.next(HUNT_SHARE);
    if (room.ok) {
      const pass: ScanPass = { pass: 'threat_model' };
      options.onPass?.(pass);
      const run = await runStructuredPass(options, {
        prompt: loadPrompt('scan-threat-model'),
        task: {
          prompt: threatModelTask(options.settings, scope, inScope.length),
          untrusted: [
            { label: 'files in scope', text: inScope.slice(0, MAX_LISTED_FILES).join('\n') },
          ],
        },
        output: threatModelSpec(),
        schema: ThreatModel,
        budgets: room.budgets,
        onEvent: (event) => options.onEvent?.(event, pass),
      });
      spend(run);
      if (run.ok) {
        threatModel = run.output;
        await writeFile(
          path.join(artefactsDir, 'threat-model.json'),
          `${JSON.stringify(threatModel, null, 2)}\n`,
        );
      } else {
        warnings.push(`the threat model failed (${run.message}); files were hunted in path order`);
        if (run.status === 'budget_exceeded') cut(run.message);
      }
    } else cut(room.reason);
  }

  // 2. The hunt, riskiest batches first.
  const batches = prioritise(scope.batches, threatModel?.priority_files ?? []);
  const candidates: Candidate[] = [];
  const scanned = new Set<string>();
  let huntFailures = 0;
  for (const [position, batch] of batches.entries()) {
    options.signal?.throwIfAborted();
    const files = [...new Set(batch.map((file) => file.path))];
    const room = cutReason === undefined ? budget.next(HUNT_SHARE) : undefined;
    if (room === undefined || !room.ok) {
      if (room && !room.ok) cut(room.reason);
      for (const file of files)
        notCovered.push({ path: file, reason: `not hunted: ${cutReason ?? ''}` });
      continue;
    }
    const pass: ScanPass = { pass: 'hunt', index: position + 1, total: batches.length, files };
    options.onPass?.(pass);
    const run = await runStructuredPass(options, {
      prompt: loadPrompt('scan-hunt'),
      task: {
        prompt: huntTask(options.settings, pass),
        untrusted: [
          ...(threatModel
            ? [{ label: 'threat model', text: JSON.stringify(threatModel, null, 2) }]
            : []),
          { label: 'source files', text: batch.map(renderNumberedFile).join('\n') },
        ],
      },
      output: huntOutputSpec(),
      schema: HuntOutput,
      budgets: room.budgets,
      onEvent: (event) => options.onEvent?.(event, pass),
    });
    spend(run);
    if (run.ok) {
      files.forEach((file) => scanned.add(file));
      candidates.push(...run.output.findings);
    } else {
      huntFailures++;
      if (run.status === 'budget_exceeded') cut(run.message);
      for (const file of files)
        notCovered.push({ path: file, reason: `not hunted: ${run.message}` });
    }
  }

  // 3. Patchling's own checks, before any proving: cited lines, known false positives.
  const dropped: DroppedCandidate[] = [];
  const checked: Candidate[] = [];
  for (const candidate of candidates) {
    const reason =
      (await checkCitation(options.workspace, candidate)) ?? falsePositiveClass(candidate);
    if (reason === undefined) checked.push(candidate);
    else dropped.push({ candidate, reason });
  }
  const merged = mergeByRootCause(checked).sort(
    (a, b) =>
      SEVERITY_RANK[a.candidate.severity] - SEVERITY_RANK[b.candidate.severity] ||
      b.candidate.confidence - a.candidate.confidence,
  );

  // 4. Prove or drop, each in a fresh context.
  const findings: ScanFinding[] = [];
  const context = threatModel ? JSON.stringify(threatModel, null, 2) : 'No threat model was made.';
  for (const [position, item] of merged.entries()) {
    options.signal?.throwIfAborted();
    let proof: Proof;
    const room = cutReason === undefined ? budget.next(1) : undefined;
    if (room === undefined || !room.ok) {
      if (room && !room.ok) cut(room.reason);
      proof = { status: 'unproven', explanation: `Not proven: ${cutReason ?? ''}.` };
    } else {
      const pass: ScanPass = {
        pass: 'prove',
        index: position + 1,
        total: merged.length,
        title: item.candidate.title,
      };
      options.onPass?.(pass);
      const run = await proveCandidate({
        ...options,
        candidate: item.candidate,
        context,
        budgets: room.budgets,
        onEvent: (event) => options.onEvent?.(event, pass),
      });
      spend(run);
      if (run.ok) proof = run.proof;
      else {
        if (run.status === 'budget_exceeded') cut(run.message);
        proof = { status: 'unproven', explanation: `Not proven: ${run.message}.` };
      }
    }
    const reason = dropReason(item, proof, options.settings.min_confidence);
    if (reason === undefined) findings.push(toFinding(item, proof));
    else dropped.push({ candidate: item.candidate, reason });
  }

  const status =
    batches.length > 0 && huntFailures === batches.length
      ? 'failed'
      : cutReason !== undefined || notCovered.length > 0
        ? 'incomplete'
        : 'completed';
  const result: ScanResult = {
    status,
    message: describeScan(
      status,
      findings.length,
      scanned.size,
      notCovered.length,
      cutReason,
      warnings,
    ),
    scanId,
    mode: scope.mode,
    head: scope.head,
    ...(scope.since === undefined ? {} : { since: scope.since }),
    artefactsDir,
    ...(threatModel ? { threatModel } : {}),
    findings,
    dropped,
    scannedFiles: [...scanned].sort(),
    skippedFiles: scope.skipped,
    notCovered,
    ...(cutReason === undefined ? {} : { cutReason }),
    runIds,
    usage,
    durationMs: now() - started,
  };
  await writeFile(path.join(artefactsDir, 'scan.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function dropReason(
  item: MergedCandidate,
  proof: Proof,
  minConfidence: number,
): string | undefined {
  if (proof.verdict === 'refuted') return `refuted: ${proof.explanation}`;
  const race = theoreticalRace(item.candidate, proof.status === 'reproduced');
  if (race !== undefined) return race;
  if (proof.status === 'unproven' && item.candidate.confidence < minConfidence) {
    return `unproven, and its confidence ${item.candidate.confidence} is below scan.min_confidence ${minConfidence}`;
  }
  return undefined;
}

function toFinding(item: MergedCandidate, proof: Proof): ScanFinding {
  const c = item.candidate;
  return {
    fingerprint: item.fingerprint,
    title: c.title,
    cwe: c.cwe,
    severity: c.severity,
    confidence: c.confidence,
    path: c.path,
    startLine: c.start_line,
    endLine: Math.max(c.start_line, c.end_line),
    evidence: c.evidence,
    rootCause: c.root_cause,
    explanation: c.explanation,
    flow: c.flow,
    related: item.related,
    proof,
  };
}

/** Batches holding the threat model's priority files first, in its order; the rest after. */
function prioritise<T extends { readonly path: string }>(
  batches: readonly (readonly T[])[],
  priority: readonly string[],
): (readonly T[])[] {
  const rank = (batch: readonly T[]) =>
    Math.min(
      ...batch.map((file) => {
        const index = priority.indexOf(file.path);
        return index < 0 ? priority.length : index;
      }),
    );
  return batches
    .map((batch, index) => ({ batch, index, rank: rank(batch) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.batch);
}

function threatModelTask(settings: ScanSettings, scope: ScanScope, files: number): string {
  const parts = [
    scope.mode === 'full'
      ? `Map the attack surface of this repository at commit ${scope.head}: ${files} files are in scope; their paths follow.`
      : `Map the attack surface of this repository at commit ${scope.head}. Only the ${files} files changed since ${scope.since ?? ''} will be hunted; their paths follow, but read whatever else you need.`,
  ];
  if (settings.instructions)
    parts.push(`The repository's scan instructions:\n${settings.instructions}`);
  parts.push('Answer with the threat model as JSON matching the output schema.');
  return parts.join('\n\n');
}

function huntTask(settings: ScanSettings, pass: Extract<ScanPass, { pass: 'hunt' }>): string {
  const parts = [
    `Hunt for vulnerabilities in part ${pass.index} of ${pass.total} of the scan: ${pass.files.join(', ')}. ` +
      'The files follow with their line numbers; the threat model, when there is one, says where input enters. ' +
      'Report findings in these files only (the flow may pass through others).',
  ];
  if (settings.instructions)
    parts.push(`The repository's scan instructions:\n${settings.instructions}`);
  parts.push('Answer with JSON matching the output schema.');
  return parts.join('\n\n');
}

function describeScan(
  status: ScanResult['status'],
  found: number,
  scanned: number,
  uncovered: number,
  cutReason: string | undefined,
  warnings: readonly string[],
): string {
  const what = found === 0 ? 'no findings' : `${found} finding${found === 1 ? '' : 's'}`;
  const notes = warnings.length > 0 ? ` (${warnings.join('; ')})` : '';
  switch (status) {
    case 'completed':
      return `Scanned ${scanned} file${scanned === 1 ? '' : 's'}: ${what}.${notes}`;
    case 'incomplete':
      return `Scan incomplete: ${scanned} file${scanned === 1 ? '' : 's'} scanned, ${uncovered} not covered${cutReason ? ` because ${cutReason}` : ''}; ${what}.${notes}`;
    case 'failed':
      return `The scan failed: no part of the hunt ran${cutReason ? ` (${cutReason})` : ''}.${notes}`;
    default: {
      const unhandled: never = status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}
