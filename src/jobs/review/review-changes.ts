import type { AgentEvent } from '../../agent/events.js';
import type { AgentsInstructions } from '../../agent/load-agents-md.js';
import { loadPrompt } from '../../agent/load-prompt.js';
import type { Budgets } from '../../agent/run-agent.js';
import type { UntrustedText } from '../../agent/untrusted.js';
import { describeError } from '../../errors.js';
import type { ModelConfig } from '../../model/model-config.js';
import { addUsage, ZERO_USAGE, type Usage } from '../../model/types.js';
import { createSandbox } from '../../sandbox/create-sandbox.js';
import type { SkippedFile } from '../../workspace/diff/index.js';
import {
  isGeneratedOrVendored,
  newFileHead,
  parseGitattributes,
  parseUnifiedDiff,
  planReviewBatches,
  renderDiff,
} from '../../workspace/diff/index.js';
import type { DiffFile } from '../../workspace/diff/index.js';
import { newRunId, prepareRunEnvironment } from '../prepare-agent-run.js';
import { runJobAgent } from '../run-job-agent.js';
import type { RepoConfig } from '../repo-config.js';
import { filterFindings, type DroppedFinding } from './filter-findings.js';
import { ReviewOutput, type Finding } from './finding.js';
import { reviewOutputSpec } from './review-output-spec.js';
import { verifySuggestions } from './verify-suggestions.js';

/** Share of the context window one batch of diff may take: the rest is for reading code. */
const BATCH_SHARE_OF_WINDOW = 0.25;
/** Larger batches review worse: the model skims. */
const MAX_BATCH_TOKENS = 60_000;

export type ReviewSettings = RepoConfig['review'];

export interface ReviewChangesOptions {
  /** The checkout the diff leads to (the head), as a real path. */
  readonly workspace: string;
  /** The unified diff to review (`git diff` with a/ b/ prefixes). */
  readonly diff: string;
  /** What is being reviewed, one or two sentences the task starts with. */
  readonly subject: string;
  /** The author's words (title, body, the requester's note): shown as data, never obeyed. */
  readonly untrusted: readonly UntrustedText[];
  /** AGENTS.md to follow; absent: read from the checkout itself (the local CLI). */
  readonly agents?: AgentsInstructions;
  readonly settings: ReviewSettings;
  /**
   * The `.gitattributes` that decide what is generated or vendored (`linguist-*`). For a
   * pull request, the base branch's: its author must not be able to mark a file unreviewed.
   */
  readonly gitattributes?: string;
  /**
   * Skip new files whose first lines say "generated" (default true). False for a pull
   * request: its author could mark their own code unreviewed.
   */
  readonly trustHeadMarkers?: boolean;
  /** `sandbox.env`: variable names passed into the sandbox. */
  readonly sandboxEnv: readonly string[];
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  /** The process environment (secret values in it are redacted from logs). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly extraSecrets?: readonly string[];
  /** Per batch; a deadline spans them all. */
  readonly budgets: Budgets;
  /** Tokens of diff per batch; default from the model's context window. */
  readonly maxBatchTokens?: number;
  readonly signal?: AbortSignal;
  /** Each agent event, with the batch it belongs to (1-based). */
  readonly onEvent?: (event: AgentEvent, batch: BatchInfo) => void;
  readonly onBatchStart?: (batch: BatchInfo) => void;
  /** Where the scratch copy for `review.verify` is made. */
  readonly scratchParent?: string;
  readonly onWarning?: (message: string) => void;
}

export interface BatchInfo {
  readonly index: number;
  readonly total: number;
  readonly files: readonly string[];
}

/** A finding that survived the filters, with what became of its suggestion. */
export interface ReviewedFinding {
  readonly finding: Finding;
  readonly verifiedSuggestion: boolean;
  /** Why a suggestion is not posted (did not apply, failed review.verify). */
  readonly suggestionNote?: string;
}

export interface ReviewChangesResult {
  /**
   * completed: every batch answered. partial: some did, and the others' files are in
   * `skippedFiles` with the reason. failed: none did (or the only one failed).
   */
  readonly status: 'completed' | 'partial' | 'failed' | 'budget_exceeded';
  /** One sentence: how it went. */
  readonly message: string;
  /** The model's summary (one paragraph per batch). */
  readonly summary: string;
  readonly findings: readonly ReviewedFinding[];
  readonly dropped: readonly DroppedFinding[];
  /** Every file of the diff, and which of them the model reviewed. */
  readonly files: readonly DiffFile[];
  readonly reviewedFiles: readonly string[];
  readonly skippedFiles: readonly SkippedFile[];
  readonly runIds: readonly string[];
  readonly usage: Usage;
}

/**
 * The review itself, wherever it runs (the App, the Action, the CLI): the diff split into
 * batches that fit the model, one read-only agent run per batch answering ReviewOutput,
 * the findings filtered by the repository's settings, and each suggestion verified on a
 * scratch copy. It publishes nothing: the caller decides where the findings go.
 *
 * A batch whose run fails loses nothing silently: its files are reported skipped, with
 * the reason, and the other batches still count.
 */
export async function reviewChanges(options: ReviewChangesOptions): Promise<ReviewChangesResult> {
  const files = parseUnifiedDiff(options.diff);
  const attributes =
    options.gitattributes === undefined ? undefined : parseGitattributes(options.gitattributes);
  const plan = planReviewBatches(files, {
    maxBatchTokens: options.maxBatchTokens ?? defaultBatchTokens(options.modelConfig),
    ignorePaths: options.settings.ignore_paths,
    isGenerated: (file) =>
      isGeneratedOrVendored(
        file.path,
        options.trustHeadMarkers === false ? undefined : newFileHead(file),
        attributes,
      ),
  });
  const skippedFiles: SkippedFile[] = [...plan.skipped];
  const reviewed = new Set<string>();
  const summaries: string[] = [];
  const findings: Finding[] = [];
  const runIds: string[] = [];
  const failures: { status: 'failed' | 'budget_exceeded'; message: string }[] = [];
  let usage = ZERO_USAGE;
  const output = reviewOutputSpec();
  const total = plan.batches.length;

  for (const [position, batch] of plan.batches.entries()) {
    options.signal?.throwIfAborted();
    const batchFiles = [...new Set(batch.map((file) => file.path))];
    const info: BatchInfo = { index: position + 1, total, files: batchFiles };
    options.onBatchStart?.(info);
    const run = await runBatch(options, batch, info, output);
    runIds.push(run.runId);
    usage = addUsage(usage, run.usage);
    if (run.ok) {
      batchFiles.forEach((file) => reviewed.add(file));
      findings.push(...run.review.findings);
      if (run.review.summary.trim() !== '') summaries.push(run.review.summary.trim());
    } else {
      failures.push({ status: run.status, message: run.message });
      const reason = `not reviewed: ${run.message}`;
      for (const file of batchFiles) skippedFiles.push({ path: file, reason });
    }
  }

  const filtered = filterFindings(findings, {
    minPriority: options.settings.min_priority,
    maxComments: options.settings.max_comments,
    ignorePaths: options.settings.ignore_paths,
  });
  const verdicts = await verifySuggestions({
    workspace: options.workspace,
    findings: filtered.kept,
    ...(options.settings.verify === undefined ? {} : { verifyCommand: options.settings.verify }),
    sandboxFactory: (scratchDir) =>
      createSandbox({
        workspace: scratchDir,
        policy: 'workspace-write',
        envAllowlist: options.sandboxEnv,
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.scratchParent ? { scratchParent: options.scratchParent } : {}),
  });

  const status = overallStatus(total, failures);
  return {
    status,
    message: describeOutcome(status, total, failures, filtered.kept.length),
    summary: summaries.join('\n\n'),
    findings: verdicts.map((verdict) => ({
      finding: verdict.finding,
      verifiedSuggestion: verdict.finding.suggestion !== null && verdict.verified,
      ...(verdict.finding.suggestion !== null && !verdict.verified && verdict.reason
        ? { suggestionNote: verdict.reason }
        : {}),
    })),
    dropped: filtered.dropped,
    files,
    reviewedFiles: [...reviewed].sort(),
    skippedFiles: skippedFiles.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    runIds,
    usage,
  };
}

type BatchRun =
  | { ok: true; runId: string; usage: Usage; review: ReviewOutput }
  | {
      ok: false;
      runId: string;
      usage: Usage;
      status: 'failed' | 'budget_exceeded';
      message: string;
    };

async function runBatch(
  options: ReviewChangesOptions,
  batch: readonly DiffFile[],
  info: BatchInfo,
  output: ReturnType<typeof reviewOutputSpec>,
): Promise<BatchRun> {
  const runId = newRunId(new Date());
  const run = await prepareRunEnvironment({
    workspace: options.workspace,
    policy: 'read-only',
    modelConfig: options.modelConfig,
    stateDir: options.stateDir,
    runId,
    env: options.env,
    envAllowlist: options.sandboxEnv,
    ...(options.extraSecrets ? { extraSecrets: options.extraSecrets } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  try {
    const result = await runJobAgent(run, {
      runId,
      policy: 'read-only',
      jobPrompt: loadPrompt('review'),
      task: {
        prompt: taskText(options, info),
        // The diff is the author's text too: comments and strings in it are data.
        untrusted: [...options.untrusted, { label: 'diff', text: renderDiff(batch) }],
      },
      agents: options.agents,
      modelConfig: options.modelConfig,
      output,
      budgets: options.budgets,
      signal: options.signal,
      onEvent: (event) => options.onEvent?.(event, info),
    });
    if (result.status !== 'completed') {
      return {
        ok: false,
        runId,
        usage: result.usage,
        status: result.status === 'budget_exceeded' ? 'budget_exceeded' : 'failed',
        message: run.redactor.redact(result.message),
      };
    }
    const parsed = ReviewOutput.safeParse(result.output);
    if (!parsed.success) {
      return {
        ok: false,
        runId,
        usage: result.usage,
        status: 'failed',
        message: 'the model did not answer with a review',
      };
    }
    return { ok: true, runId, usage: result.usage, review: parsed.data };
  } catch (error) {
    // An abort is the caller's to report; anything else ends this batch only.
    if (options.signal?.aborted) throw error;
    return {
      ok: false,
      runId,
      usage: ZERO_USAGE,
      status: 'failed',
      message: run.redactor.redact(describeError(error)),
    };
  } finally {
    run.log.close();
    await run.sandbox.close?.();
  }
}

function taskText(options: ReviewChangesOptions, info: BatchInfo): string {
  const parts = [options.subject];
  if (info.total > 1) {
    parts.push(
      `The change is reviewed in ${info.total} parts; this is part ${info.index}, with ${info.files.length === 1 ? 'this file' : 'these files'}: ${info.files.join(', ')}. Report findings on these files only.`,
    );
  }
  if (options.settings.instructions) {
    parts.push(`The repository's review instructions:\n${options.settings.instructions}`);
  }
  parts.push(
    'Answer with the review as JSON matching the output schema: a verdict, a summary, and the findings with their new-side line numbers.',
  );
  return parts.join('\n\n');
}

/** How much diff one batch holds: a share of the window, capped. */
export function defaultBatchTokens(modelConfig: ModelConfig): number {
  return Math.max(
    1_000,
    Math.min(
      MAX_BATCH_TOKENS,
      Math.floor(modelConfig.profile.contextWindow * BATCH_SHARE_OF_WINDOW),
    ),
  );
}

function overallStatus(
  total: number,
  failures: readonly { status: 'failed' | 'budget_exceeded' }[],
): ReviewChangesResult['status'] {
  if (failures.length === 0) return 'completed';
  if (failures.length < total) return 'partial';
  return failures.every((failure) => failure.status === 'budget_exceeded')
    ? 'budget_exceeded'
    : 'failed';
}

function describeOutcome(
  status: ReviewChangesResult['status'],
  total: number,
  failures: readonly { message: string }[],
  kept: number,
): string {
  const found = kept === 0 ? 'no findings' : `${kept} finding${kept === 1 ? '' : 's'}`;
  switch (status) {
    case 'completed':
      return total === 0 ? 'Nothing to review in this change.' : `Reviewed: ${found}.`;
    case 'partial':
      return `Reviewed ${total - failures.length} of ${total} parts (${found}); the others failed: ${failures[0]?.message ?? ''}`;
    case 'failed':
    case 'budget_exceeded':
      return `The review failed: ${failures[0]?.message ?? 'no part could be reviewed'}`;
    default: {
      const unhandled: never = status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}
