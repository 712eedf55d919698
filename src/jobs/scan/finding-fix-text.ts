import { loadPrompt } from '../../agent/load-prompt.js';
import type { UntrustedText } from '../../agent/untrusted.js';
import { fitGitHubText } from '../../github/limits.js';
import { codeSpan, defuseMarkdown, fencedBlock } from '../../github/review/markdown.js';
import type { RecheckResult } from './recheck-reproduction.js';
import type { Reproduction, ScanFinding } from './scan-finding.js';

/** The fix run's first words (prompts/scan-fix-task.md): what to fix, how it is judged. */
export function findingFixSubject(
  finding: ScanFinding,
  where: { readonly repository: string; readonly commit: string },
): string {
  return loadPrompt('scan-fix-task', {
    repository: where.repository,
    commit: where.commit.slice(0, 12),
    // Only what Patchling checked goes here (the citation's path and lines, the CWE's
    // form, the severity's enum); the model's words go in as data below.
    cwe: finding.cwe,
    severity: finding.severity,
    location: locationOf(finding),
  });
}

/** The finding and its proof, as data: the model wrote them, so they are not instructions. */
export function findingFixData(
  finding: ScanFinding,
  reproduction: Reproduction,
): readonly UntrustedText[] {
  return [
    {
      label: 'scan finding',
      text: JSON.stringify(
        {
          title: finding.title,
          cwe: finding.cwe,
          severity: finding.severity,
          path: finding.path,
          start_line: finding.startLine,
          end_line: finding.endLine,
          evidence: finding.evidence,
          root_cause: finding.rootCause,
          explanation: finding.explanation,
          flow: finding.flow,
          related: finding.related,
        },
        null,
        2,
      ),
    },
    {
      label: 'reproduction',
      text: [
        `command: ${reproduction.command}`,
        `what it shows: ${reproduction.description}`,
        `exit code before the fix: ${String(reproduction.exitCode)}`,
        `output before the fix:\n${reproduction.output}`,
        `its files (a patch on the checkout):\n${reproduction.patch}`,
      ].join('\n\n'),
    },
  ];
}

/**
 * The pull request's own sections for a scan finding: what was found, with the link to
 * its alert when known, and the reproduction before (the weakness shows) and after the
 * fix (it no longer does). The caller redacts the whole body.
 */
export function renderFindingEvidence(input: {
  readonly finding: ScanFinding;
  readonly reproduction: Reproduction;
  readonly recheck: RecheckResult;
  readonly alertUrl?: string | undefined;
}): string {
  const { finding, reproduction, recheck } = input;
  const parts = [
    `## The finding\n\n**${finding.severity}** ${finding.cwe} ${defuseMarkdown(oneLine(finding.title))} at ${codeSpan(locationOf(finding))}.` +
      (input.alertUrl ? ` Its code scanning alert: ${input.alertUrl}` : ''),
    defuseMarkdown(fitGitHubText(finding.explanation, MAX_EXPLANATION_CHARS)),
  ];
  if (finding.flow.length > 0) {
    parts.push(
      finding.flow
        .slice(0, MAX_FLOW_STEPS)
        .map(
          (step) =>
            `1. ${codeSpan(`${step.path}:${step.line}`)} ${defuseMarkdown(oneLine(step.note))}`,
        )
        .join('\n'),
    );
  }
  const before = recheck.before;
  parts.push(
    `## Reproduction before the fix\n\n${defuseMarkdown(oneLine(reproduction.description))} Patchling restored the reproduction's files on the scanned commit and ran ${codeSpan(oneLine(reproduction.command))} in the sandbox: ${before ? `exit ${before.exitCode ?? 'signal'}` : `exit ${String(reproduction.exitCode)} (when the scan proved it)`} (the weakness shows).` +
      `\n\n${before ? outputBlock(before.output, before.outputTruncated) : outputBlock(reproduction.output, reproduction.outputTruncated)}`,
  );
  const after = recheck.after;
  parts.push(
    `## Reproduction after the fix\n\nThe same files and command on this change: ${after ? `exit ${after.exitCode ?? 'signal'}` : 'it did not run'}; ${recheck.reason}.` +
      (after ? `\n\n${outputBlock(after.output, after.outputTruncated)}` : ''),
  );
  if (reproduction.patch.trim() !== '') {
    parts.push(
      `<details><summary>The reproduction's files (not part of this change)</summary>\n\n${fencedBlock(reproduction.patch, 'diff')}\n\n</details>`,
    );
  }
  return parts.join('\n\n');
}

/**
 * The model's explanation and flow have no cap of their own (scan-output.ts); with these,
 * the evidence stays well under GitHub's 65,536-character body beside the patch (20,000)
 * and the outputs (4,000 each).
 */
const MAX_EXPLANATION_CHARS = 8_000;
const MAX_FLOW_STEPS = 30;

function outputBlock(output: string, truncated: boolean): string {
  if (output.trim() === '') return '(no output)';
  return `${fencedBlock(output)}${truncated ? '\n\n(output cut)' : ''}`;
}

function locationOf(finding: ScanFinding): string {
  return finding.startLine === finding.endLine
    ? `${finding.path}:${finding.startLine}`
    : `${finding.path}:${finding.startLine}-${finding.endLine}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
