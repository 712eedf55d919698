import { fitGitHubText, MAX_BODY_CHARS } from '../../github/limits.js';
import { codeSpan, defuseMarkdown, fencedBlock } from '../../github/review/markdown.js';
import type { ModelConfig } from '../../model/model-config.js';
import type { FixChangesResult, TestRun } from './fix-changes.js';

/** How the pull request relates to what asked for it. */
export type FixOrigin =
  | { readonly kind: 'issue'; readonly number: number }
  | { readonly kind: 'pull_request'; readonly number: number }
  /** A proven finding of a security scan, by its root-cause fingerprint. */
  | { readonly kind: 'scan_finding'; readonly fingerprint: string };

/** The draft pull request's title: the issue's (or the finding's), marked as a fix. */
export function fixPullRequestTitle(origin: FixOrigin, title: string): string {
  const clean = title.replace(/\s+/g, ' ').trim().slice(0, 200);
  switch (origin.kind) {
    case 'issue':
      return `Fix #${origin.number}: ${clean}`;
    case 'pull_request':
      return `Fixes for #${origin.number}: ${clean}`;
    case 'scan_finding':
      return `Security fix: ${clean}`;
    default: {
      const unhandled: never = origin;
      throw new Error(`unknown origin ${JSON.stringify(unhandled)}`);
    }
  }
}

function introOf(origin: FixOrigin): string {
  switch (origin.kind) {
    case 'issue':
      return `Fixes #${origin.number}`;
    case 'pull_request':
      return `Changes for #${origin.number}, as asked there.`;
    case 'scan_finding':
      return `Fixes a finding of Patchling's security scan (Patchling id ${codeSpan(origin.fingerprint)}).`;
    default: {
      const unhandled: never = origin;
      throw new Error(`unknown origin ${JSON.stringify(unhandled)}`);
    }
  }
}

/**
 * The draft pull request's body: the issue it closes, what changed and why (the agent's
 * words, defused), the test run Patchling made itself, the risks, the model's usage, and
 * the requester asked to review. Secrets are redacted by the client on the way out.
 */
export function renderFixPullRequestBody(options: {
  readonly origin: FixOrigin;
  readonly result: FixChangesResult;
  /** Asked to review; absent (a scheduled scan): nobody in particular. */
  readonly requester?: string | undefined;
  /** Sections the origin brings (a scan finding and its reproduction), Markdown, already safe. */
  readonly evidence?: string | undefined;
  readonly modelConfig: Pick<ModelConfig, 'model'> & {
    readonly profile: { readonly name: string };
  };
}): string {
  const { origin, result } = options;
  const parts: string[] = [introOf(origin)];
  if (options.evidence) parts.push(options.evidence);
  parts.push(`## What changed\n\n${defuseMarkdown(result.report?.summary ?? result.message)}`);
  if (result.files.length > 0) {
    parts.push(result.files.map((file) => `- ${codeSpan(file.path)} (${file.status})`).join('\n'));
  }
  parts.push(`## Tests\n\n${renderTests(result)}`);
  const risks = result.report?.risks.trim();
  if (risks) parts.push(`## Risks\n\n${defuseMarkdown(risks)}`);
  parts.push(`## Model usage\n\n${renderUsage(result, options.modelConfig)}`);
  const ask = `${options.requester ? `@${options.requester}, please review` : 'Please review'}: Patchling opened this pull request as a draft and will not merge it.`;
  // GitHub refuses a body over its limit, and the fix would be left on a branch with no
  // pull request (a later scan then skips the finding): the model's words are cut, the ask kept.
  return `${fitGitHubText(parts.join('\n\n'), MAX_BODY_CHARS - ask.length - BODY_HEADROOM)}\n\n${ask}`;
}

/**
 * Room left under GitHub's limit for the caller's redaction, which may lengthen the text
 * (an 8-character secret becomes the 10-character `[REDACTED]`).
 */
const BODY_HEADROOM = 4_096;

/** The comment that says why no pull request was opened, with what was tried. */
export function renderFixFailureDetails(result: FixChangesResult): string {
  const parts: string[] = [];
  if (result.problems.length > 0) {
    parts.push(
      `The change was refused:\n${result.problems.map((p) => `- ${defuseMarkdown(p)}`).join('\n')}`,
    );
  }
  if (result.report)
    parts.push(`What the agent reported:\n\n${defuseMarkdown(result.report.summary)}`);
  if (result.test) parts.push(renderTests(result));
  return parts.join('\n\n');
}

function renderTests(result: FixChangesResult): string {
  const lines: string[] = [];
  if (result.test) lines.push(renderTestRun(result.test));
  else
    lines.push(
      'No test command is configured (`fix.test_command`) or detected: the change is untested.',
    );
  const claimed = result.report?.tests ?? [];
  if (claimed.length > 0) {
    lines.push(
      `The agent's own runs:\n${claimed
        .map(
          (run) =>
            `- ${run.passed ? '✅' : '❌'} ${codeSpan(run.command)}: ${defuseMarkdown(run.notes.replace(/\s+/g, ' '))}`,
        )
        .join('\n')}`,
    );
  }
  return lines.join('\n\n');
}

function renderTestRun(test: TestRun): string {
  const verdict = test.passed
    ? '✅ passed'
    : test.timedOut
      ? '❌ timed out'
      : `❌ failed (exit ${test.exitCode ?? 'signal'})`;
  const head = `Patchling ran ${codeSpan(test.command)} (from ${test.source}) in the sandbox after the change: ${verdict}.`;
  if (test.outputTail.trim() === '') return head;
  return `${head}\n\n<details><summary>Last lines of output</summary>\n\n${fencedBlock(test.outputTail)}\n\n</details>`;
}

function renderUsage(
  result: FixChangesResult,
  model: Pick<ModelConfig, 'model'> & { readonly profile: { readonly name: string } },
): string {
  const { usage } = result;
  return `${codeSpan(model.model)} (${model.profile.name}): ${usage.inputTokens.toLocaleString('en-US')} input tokens (${usage.cachedInputTokens.toLocaleString('en-US')} cached), ${usage.outputTokens.toLocaleString('en-US')} output tokens. Run ${codeSpan(result.runId)}.`;
}
