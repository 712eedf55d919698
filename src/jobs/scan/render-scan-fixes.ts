import { codeSpan, defuseMarkdown } from '../../github/review/markdown.js';
import type { FindingFixOutcome, ScanFixes } from './fix-scan-findings.js';

/**
 * The fixes' part of the scan's summary (the check run, and a comment on the notification
 * issue): the pull requests opened, the findings whose fix was attempted but not proven,
 * and those not attempted, each with why. Empty when scan.fix did nothing to say.
 */
export function renderScanFixes(fixes: ScanFixes): string {
  if (fixes.note === undefined && fixes.outcomes.length === 0) return '';
  const lines = ['### Fix pull requests (scan.fix)', ''];
  if (fixes.note) lines.push(fixes.note);
  const opened = fixes.outcomes.filter((o) => o.kind === 'opened');
  const unproven = fixes.outcomes.filter((o) => o.kind === 'not_proven');
  const skipped = fixes.outcomes.filter((o) => o.kind === 'skipped');
  if (opened.length > 0) {
    lines.push(`Opened (${opened.length}):`);
    for (const outcome of opened) lines.push(`- ${label(outcome)}: ${outcome.link}`);
  }
  if (unproven.length > 0) {
    lines.push(`Fix attempted, not proven, no pull request (${unproven.length}):`);
    for (const outcome of unproven) lines.push(`- ${label(outcome)}: ${outcome.reason}`);
  }
  if (skipped.length > 0) {
    lines.push(`Not attempted (${skipped.length}):`);
    for (const outcome of skipped) lines.push(`- ${label(outcome)}: ${outcome.reason}`);
  }
  return lines.join('\n');
}

function label(outcome: FindingFixOutcome): string {
  const { finding } = outcome;
  return `**${finding.severity}** ${finding.cwe} ${defuseMarkdown(finding.title.replace(/\s+/g, ' '))} (${codeSpan(`${finding.path}:${finding.startLine}`)})`;
}
