import type { ModelConfig } from '../../model/model-config.js';
import { addUsage, ZERO_USAGE, type Usage } from '../../model/types.js';
import { createAdaptiveLimiter } from '../../util/adaptive-limiter.js';
import { createSandbox } from '../../sandbox/create-sandbox.js';
import type { SkippedFile } from '../../workspace/diff/index.js';
import {
  isGeneratedOrVendored,
  newFileHead,
  parseGitattributes,
  parseUnifiedDiff,
  planReviewBatches,
} from '../../workspace/diff/index.js';
import type { DiffFile } from '../../workspace/diff/index.js';
import { filterFindings, type DroppedFinding } from './filter-findings.js';
import type { Finding } from './finding.js';
import type { BatchInfo, ReviewChangesOptions } from './review-options.js';
import { reviewOutputSpec } from './review-output-spec.js';
import { runReviewBatch } from './run-review-batch.js';
import { verifySuggestions } from './verify-suggestions.js';

/** Share of the context window one batch of diff may take: the rest is for reading code. */
const BATCH_SHARE_OF_WINDOW = 0.25;
/** Larger batches review worse: the model skims. */
const MAX_BATCH_TOKENS = 60_000;

export type { BatchInfo, ReviewChangesOptions, ReviewSettings } from './review-options.js';

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

  const limiter = createAdaptiveLimiter({
    max: options.concurrency ?? options.settings.concurrency,
    ...(options.now ? { now: options.now } : {}),
    ...(options.onConcurrency ? { onLimit: options.onConcurrency } : {}),
  });
  // Sandboxes are created one at a time (milliseconds each): two created in the same
  // millisecond by one process collide on the name of the sandbox's cgroup probe.
  const creating = createAdaptiveLimiter({ max: 1 });
  const setUp = <T>(create: () => Promise<T>) => creating.run(create);
  // Every batch at once, as many running as the limiter allows; the results are read in
  // batch order below, so the review is the same whichever batch finished first.
  const settled = await Promise.allSettled(
    plan.batches.map((batch, position) =>
      limiter.run(async () => {
        options.signal?.throwIfAborted();
        const batchFiles = [...new Set(batch.map((file) => file.path))];
        const info: BatchInfo = { index: position + 1, total, files: batchFiles };
        options.onBatchStart?.(info);
        const run = await runReviewBatch(
          options,
          batch,
          info,
          output,
          (event) => {
            // The provider is rate limiting: start fewer batches until it calms down.
            if (event.type === 'model_retry' && event.retry.kind === 'rate_limit') {
              limiter.rateLimited(event.retry.delayMs);
            }
            options.onEvent?.(event, info);
          },
          setUp,
        );
        options.onBatchFinish?.(info, run.ok);
        return { batchFiles, run };
      }),
    ),
  );
  const rejected = settled.find((result) => result.status === 'rejected');
  if (rejected) throw rejected.reason;
  for (const result of settled) {
    if (result.status !== 'fulfilled') continue;
    const { batchFiles, run } = result.value;
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
      setUp(() =>
        createSandbox({
          workspace: scratchDir,
          policy: 'workspace-write',
          envAllowlist: options.sandboxEnv,
          ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        }),
      ),
    concurrency: options.concurrency ?? options.settings.concurrency,
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
