import { isGitHubRequestFailure } from '../../github/errors.js';
import { fitGitHubText } from '../../github/limits.js';
import {
  compareWithAlerts,
  listPatchlingAlerts,
  type ScanComparison,
} from '../../github/sarif/code-scanning-alerts.js';
import { uploadSarif, type UploadOutcome } from '../../github/sarif/upload-sarif.js';
import type { GitHubApi, GitHubRepo } from '../../github/types.js';
import type { FittedSarif } from '../../github/sarif/fit-sarif-limits.js';
import type { SarifFinding } from '../../github/sarif/sarif-types.js';
import { carryForwardAlerts } from './carry-forward.js';
import type { ScanFinding } from './scan-finding.js';
import { SEVERITY_RANK, type Severity } from './scan-output.js';
import type { ScanResult } from './scan-repository.js';

export interface PublishScanOptions {
  readonly github: GitHubApi;
  readonly repo: GitHubRepo;
  /** The ref scanned, e.g. "refs/heads/main". */
  readonly ref: string;
  readonly result: ScanResult;
  /**
   * The scan's SARIF, built once the alerts are known: `carried` are the alerts in files
   * this scan did not hunt, restated so that the upload does not mark them fixed.
   */
  readonly sarif: (
    carried: readonly SarifFinding[],
  ) => Promise<FittedSarif & { readonly carried?: number }>;
  /** New findings at least this severe open an issue. */
  readonly notifyAt: Severity;
  /** Why the scan was full or diff-aware (chooseScanScope), for the summary. */
  readonly scopeReason?: string | undefined;
  readonly sleep: (ms: number) => Promise<void>;
  readonly redact: (text: string) => string;
}

export interface PublishedScan {
  readonly comparison: ScanComparison<ScanFinding>;
  /** Why there was nothing to compare with, when there was not. */
  readonly comparisonNote?: string;
  readonly upload: UploadOutcome | { readonly status: 'refused'; readonly reason: string };
  readonly issue?: { readonly number: number; readonly url: string };
  /** The check run's summary: the counts, coverage and where things went. */
  readonly summary: string;
}

/**
 * What a scan leaves on GitHub: the comparison with Patchling's alerts as they were
 * before this upload (new, still present, fixed; dismissed ones never reported again),
 * the SARIF uploaded and processed, and one issue when something new reaches
 * `scan.notify_at`.
 */
export async function publishScan(options: PublishScanOptions): Promise<PublishedScan> {
  const { github, repo, result } = options;
  const { alerts, unreadable } = await listPatchlingAlerts(github, repo, options.ref);
  const comparisonNote =
    unreadable === undefined
      ? undefined
      : `Code scanning alerts cannot be read here (${unreadable}): every finding counts as new.`;
  const comparison = compareWithAlerts(result.findings, alerts);
  // Alerts missing from a cut or diff-aware scan were not looked for: not fixed.
  const fixed = result.status === 'completed' && result.mode === 'full' ? comparison.fixed : [];
  const carried = carryForwardAlerts(result, alerts);
  const sarif = await options.sarif(carried);

  let upload: PublishedScan['upload'];
  try {
    upload = await uploadSarif({
      github,
      repo,
      commitSha: result.head,
      ref: options.ref,
      gzipped: sarif.gzipped,
      sleep: options.sleep,
    });
  } catch (error) {
    if (!isGitHubRequestFailure(error) || (error.status !== 403 && error.status !== 404))
      throw error;
    upload = {
      status: 'refused',
      reason: `GitHub refused the SARIF upload (${error.status}): code scanning must be enabled, and the token needs security-events: write.`,
    };
  }

  const notify = comparison.new.filter(
    (f) => SEVERITY_RANK[f.severity] <= SEVERITY_RANK[options.notifyAt],
  );
  let issue: PublishedScan['issue'];
  if (notify.length > 0) {
    const { data } = await github.request('POST /repos/{owner}/{repo}/issues', {
      owner: repo.owner,
      repo: repo.repo,
      title: `Patchling scan: ${notify.length} new finding${notify.length === 1 ? '' : 's'} at ${options.notifyAt} or above`,
      body: fitGitHubText(options.redact(issueBody(result, notify))),
    });
    issue = { number: Number(data.number), url: String(data.html_url) };
  }
  const summary = options.redact(
    summaryText({
      result,
      comparison: { ...comparison, fixed },
      comparisonNote,
      upload,
      issue,
      notes: sarif.notes,
      carried: sarif.carried ?? carried.length,
      scopeReason: options.scopeReason,
    }),
  );
  return {
    comparison: { ...comparison, fixed },
    ...(comparisonNote ? { comparisonNote } : {}),
    upload,
    ...(issue ? { issue } : {}),
    summary,
  };
}

function issueBody(result: ScanResult, findings: readonly ScanFinding[]): string {
  const lines = [
    `The scan of ${result.head.slice(0, 7)} found ${findings.length} new finding${findings.length === 1 ? '' : 's'}:`,
    '',
    ...findings.map(
      (f) =>
        `- **${f.severity}** ${f.cwe} ${f.title} — \`${f.path}:${f.startLine}\` (${proofWords(f)})`,
    ),
    '',
    'Each is in code scanning with its explanation, its code flow and its reproduction.',
  ];
  if (result.status !== 'completed') lines.push('', `Note: ${result.message}`);
  return lines.join('\n');
}

function proofWords(finding: ScanFinding): string {
  switch (finding.proof.status) {
    case 'reproduced':
      return 'reproduced';
    case 'confirmed':
      return 'confirmed by reading';
    case 'unproven':
      return 'not proven';
    default: {
      const unhandled: never = finding.proof.status;
      throw new Error(`unknown proof ${String(unhandled)}`);
    }
  }
}

function summaryText(input: {
  result: ScanResult;
  comparison: ScanComparison<ScanFinding>;
  comparisonNote: string | undefined;
  upload: PublishedScan['upload'];
  issue: PublishedScan['issue'];
  notes: readonly string[];
  carried: number;
  scopeReason: string | undefined;
}): string {
  const { result, comparison } = input;
  const lines = [
    result.message,
    '',
    `New: ${comparison.new.length}. Still present: ${comparison.stillPresent.length}. Fixed: ${comparison.fixed.length}. Dismissed on GitHub (not reported again): ${comparison.dismissed.length}.`,
  ];
  if (input.comparisonNote) lines.push(input.comparisonNote);
  if (input.scopeReason) {
    lines.push(`${result.mode === 'diff' ? 'Diff-aware' : 'Full'} scan: ${input.scopeReason}.`);
  }
  if (result.mode === 'diff') {
    lines.push(
      `A diff-aware scan of the files changed since ${(result.since ?? '').slice(0, 7)}: it reports nothing as fixed; the next full scan does.`,
    );
  }
  if (input.carried > 0) {
    lines.push(
      `${input.carried} alert${input.carried === 1 ? '' : 's'} in files this scan did not hunt ${input.carried === 1 ? 'was' : 'were'} carried forward, so code scanning does not take ${input.carried === 1 ? 'it' : 'them'} as fixed.`,
    );
  }
  for (const finding of comparison.new) {
    lines.push(
      `- new: **${finding.severity}** ${finding.cwe} ${finding.title} (\`${finding.path}:${finding.startLine}\`, ${proofWords(finding)})`,
    );
  }
  switch (input.upload.status) {
    case 'complete':
      lines.push('', 'The SARIF was uploaded and processed by code scanning.');
      break;
    case 'pending':
      lines.push('', 'The SARIF was uploaded; code scanning was still processing it.');
      break;
    case 'failed':
      lines.push(
        '',
        `Code scanning could not process the SARIF: ${input.upload.errors.join('; ')}`,
      );
      break;
    case 'refused':
      lines.push('', input.upload.reason);
      break;
    default: {
      const unhandled: never = input.upload;
      throw new Error(`unknown upload ${JSON.stringify(unhandled)}`);
    }
  }
  for (const note of input.notes) lines.push(`SARIF: ${note}`);
  if (input.issue) lines.push(`New findings above the threshold: #${input.issue.number}.`);
  if (result.notCovered.length > 0) {
    lines.push('', `Not covered (${result.notCovered.length}):`);
    for (const file of result.notCovered.slice(0, 20))
      lines.push(`- \`${file.path}\`: ${file.reason}`);
  }
  return lines.join('\n');
}
