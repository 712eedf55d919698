import { readWorkspaceFile } from '../../workspace/read-workspace-file.js';
import { stateDir } from '../../agent/run-log.js';
import { describeError, UserError } from '../../errors.js';
import { exitCodeForFindings } from '../../jobs/review/exit-code-for-findings.js';
import type { Priority } from '../../jobs/review/finding.js';
import { formatFindingsForTerminal } from '../../jobs/review/format-findings-for-terminal.js';
import {
  reviewChanges,
  type ReviewChangesResult,
  type ReviewedFinding,
} from '../../jobs/review/review-changes.js';
import { resolveModelConfig } from '../../model/model-config.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { secretsOfEnv } from '../../jobs/prepare-agent-run.js';
import { diffAgainst } from '../../workspace/git/diff-against.js';
import { findMergeBase } from '../../workspace/git/find-merge-base.js';
import { runGit } from '../../workspace/git/run-git.js';
import { loadCliConfigFile } from './config-file.js';
import type { CliIo } from './exec-command.js';
import {
  agentProgressDisplay,
  locateCheckout,
  userExcludesFile,
  readCheckoutConfig,
  modelSettings,
  resolveBudgets,
  type BudgetFlags,
  type ModelFlags,
} from './run-settings.js';

export interface ReviewFlags extends ModelFlags, BudgetFlags {
  readonly cd?: string;
  readonly base?: string;
  readonly uncommitted?: boolean;
  readonly json?: boolean;
  readonly failOn?: Priority;
  readonly config?: string;
}

/**
 * `patchling review`: 0 reviewed and nothing at the --fail-on bar, 1 a finding reached it,
 * 2 bad usage or config, 3 the review could not be completed, 124 a budget ended it.
 */
export const REVIEW_EXIT = { clean: 0, findings: 1, usage: 2, incomplete: 3, budget: 124 } as const;

/** Tried in order when neither --base nor --uncommitted is given. */
const DEFAULT_BASES = ['origin/HEAD', 'origin/main', 'origin/master', 'main', 'master'];

/**
 * Reviews the checkout in the working directory: what the branch changed since it left
 * its base (committed or not), or only what is not committed yet. Prints the findings,
 * or the whole result as JSON, and exits by the configured priority.
 */
export async function runReview(flags: ReviewFlags, io: CliIo): Promise<number> {
  if (flags.base !== undefined && flags.uncommitted) {
    throw new UserError('Pass --base REF or --uncommitted, not both.');
  }
  const file = loadCliConfigFile(flags.config, io.env);
  const { workspace } = locateCheckout(io.cwd, flags.cd);
  const config = await readCheckoutConfig(workspace);
  const modelConfig = resolveModelConfig(modelSettings(flags, file, io.env), io.env);
  const budgets = resolveBudgets(flags, file);
  const failOn = flags.failOn ?? config.review.fail_on;
  const target = await resolveTarget(workspace, flags, io.signal);
  const excludesFile = await userExcludesFile(workspace, io.env);
  const diff = await diffAgainst({
    dir: workspace,
    base: target.base,
    signal: io.signal,
    excludesFile,
  });
  const redactor = new SecretRedactor([modelConfig.apiKey, ...secretsOfEnv(io.env)]);
  const redact = (text: string) => redactor.redact(text);

  let result: ReviewChangesResult;
  try {
    result = await reviewChanges({
      workspace,
      diff,
      subject: target.subject,
      untrusted: [],
      settings: config.review,
      ...(await readGitattributes(workspace)),
      sandboxEnv: config.sandbox.env,
      modelConfig,
      stateDir: stateDir(io.env),
      env: io.env,
      budgets,
      ...(io.signal ? { signal: io.signal } : {}),
      onBatchStart: (batch) => {
        if (!flags.json && batch.total > 1)
          io.stderr(`reviewing part ${batch.index} of ${batch.total}: ${batch.files.join(', ')}\n`);
      },
      onEvent: agentProgressDisplay(Boolean(flags.json), io, redact),
      onWarning: (message) => io.stderr(`warning: ${message}\n`),
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    io.stderr(`patchling: the review could not be completed: ${redact(describeError(error))}\n`);
    return REVIEW_EXIT.incomplete;
  }

  if (flags.json) io.stdout(`${redact(JSON.stringify(toJson(result, target.base)))}\n`);
  else
    io.stdout(
      redact(formatReport(result, Boolean(io.stderrIsTTY && io.env.NO_COLOR === undefined))),
    );

  switch (result.status) {
    case 'failed':
      io.stderr(`patchling: ${redact(result.message)}\n`);
      return REVIEW_EXIT.incomplete;
    case 'budget_exceeded':
      io.stderr(`patchling: ${redact(result.message)}\n`);
      return REVIEW_EXIT.budget;
    case 'partial':
    case 'completed': {
      if (result.status === 'partial') io.stderr(`patchling: ${redact(result.message)}\n`);
      const gate = exitCodeForFindings(
        result.findings.map((reviewed) => reviewed.finding),
        failOn,
      );
      if (gate !== 0) return REVIEW_EXIT.findings;
      // A review that skipped part of the change cannot vouch for it.
      return result.status === 'partial' ? REVIEW_EXIT.incomplete : REVIEW_EXIT.clean;
    }
    default: {
      const unhandled: never = result.status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}

interface ReviewTarget {
  /** The commit the working tree is compared with. */
  readonly base: string;
  readonly subject: string;
}

async function resolveTarget(
  workspace: string,
  flags: ReviewFlags,
  signal: AbortSignal | undefined,
): Promise<ReviewTarget> {
  if (flags.uncommitted) {
    const head = await runGit({ dir: workspace, signal }, 'Reading HEAD', (git) =>
      git.raw(['rev-parse', '--verify', 'HEAD^{commit}']),
    );
    return {
      base: head.trim(),
      subject:
        'Review the uncommitted changes in this checkout (staged, unstaged and new files), shown as a diff against HEAD.',
    };
  }
  const candidates = flags.base !== undefined ? [flags.base] : DEFAULT_BASES;
  for (const ref of candidates) {
    const mergeBase = await runGit({ dir: workspace, signal }, 'Finding the merge base', (git) =>
      findMergeBase(git, ref, 'HEAD'),
    ).catch(() => undefined);
    if (mergeBase !== undefined) {
      return {
        base: mergeBase,
        subject: `Review the changes of this checkout since it left ${ref} (merge base ${mergeBase.slice(0, 7)}), committed or not, shown as a diff against that merge base.`,
      };
    }
  }
  throw new UserError(
    flags.base !== undefined
      ? `${flags.base} shares no history with HEAD here (or is not a commit): nothing to compare with.`
      : `Found none of ${DEFAULT_BASES.join(', ')} to compare with: pass --base REF, or --uncommitted.`,
  );
}

function formatReport(result: ReviewChangesResult, color: boolean): string {
  const parts: string[] = [];
  if (result.findings.length > 0) {
    parts.push(formatFindingsForTerminal(result.findings.map(shownFinding), { color }));
  }
  // "No findings." only from a review that happened; a failed one says why on stderr.
  const happened = result.status === 'completed' || result.status === 'partial';
  if (result.summary.trim() !== '') parts.push(result.summary.trim());
  else if (happened) parts.push('No findings.');
  const lines =
    happened || result.reviewedFiles.length > 0
      ? [
          `Reviewed ${result.reviewedFiles.length} file${result.reviewedFiles.length === 1 ? '' : 's'}.`,
        ]
      : [];
  for (const skipped of result.skippedFiles)
    lines.push(`Skipped ${skipped.path}: ${skipped.reason}`);
  if (result.dropped.length > 0) {
    lines.push(
      `Left out ${result.dropped.length} finding${result.dropped.length === 1 ? '' : 's'}:`,
    );
    for (const { finding, reason } of result.dropped) {
      lines.push(
        `  ${finding.path}:${finding.start_line} ${finding.priority} ${finding.title}: ${reason}`,
      );
    }
  }
  if (lines.length > 0) parts.push(lines.join('\n'));
  return parts.length > 0 ? `${parts.join('\n\n')}\n` : '';
}

/** Only a verified suggestion is shown as one; otherwise the explanation says why not. */
function shownFinding(reviewed: ReviewedFinding): ReviewedFinding['finding'] {
  if (reviewed.verifiedSuggestion || reviewed.finding.suggestion === null) return reviewed.finding;
  return {
    ...reviewed.finding,
    suggestion: null,
    explanation: `${reviewed.finding.explanation}\n(suggestion left out: ${oneLine(reviewed.suggestionNote ?? 'not verified')})`,
  };
}

function toJson(result: ReviewChangesResult, base: string) {
  return {
    status: result.status,
    message: result.message,
    base,
    summary: result.summary,
    findings: result.findings.map((reviewed) => ({
      ...reviewed.finding,
      verified_suggestion: reviewed.verifiedSuggestion,
      ...(reviewed.suggestionNote === undefined
        ? {}
        : { suggestion_note: reviewed.suggestionNote }),
    })),
    dropped: result.dropped.map(({ finding, reason }) => ({ ...finding, reason })),
    reviewed_files: result.reviewedFiles,
    skipped_files: result.skippedFiles,
    run_ids: result.runIds,
    usage: result.usage,
  };
}

/** A note on one line: the check's verdict and the start of its output. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** The checkout's own root `.gitattributes`, when it has one. */
async function readGitattributes(workspace: string): Promise<{ gitattributes?: string }> {
  const gitattributes = await readWorkspaceFile(workspace, '.gitattributes');
  return gitattributes === undefined ? {} : { gitattributes };
}
