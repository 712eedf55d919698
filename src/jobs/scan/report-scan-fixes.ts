import { postComment } from '../../github/post-comment.js';
import { fixScanFindings, type FixScanFindingsInput } from './fix-scan-findings.js';
import type { PublishedScan } from './publish-scan.js';
import { renderScanFixes } from './render-scan-fixes.js';

/**
 * After a scan is published: `scan.fix`'s pull requests for its new findings, then where
 * they are said: appended to the check run's summary (returned), and as a comment on the
 * issue the scan opened for its new findings, when it opened one.
 */
export async function fixAndReportScanFindings(
  input: Omit<FixScanFindingsInput, 'newFindings'> & { readonly published: PublishedScan },
): Promise<string> {
  const { published } = input;
  const fixes = await fixScanFindings({
    ...input,
    newFindings: published.comparison.new,
    alertsReady: published.upload.status === 'complete',
  });
  const text = input.redactor.redact(renderScanFixes(fixes));
  if (text === '') return published.summary;
  if (published.issue) {
    const repo = { owner: input.job.repo.owner, repo: input.job.repo.repo };
    await postComment(input.deps.github, repo, published.issue.number, text);
  }
  return `${published.summary}\n\n${text}`;
}
