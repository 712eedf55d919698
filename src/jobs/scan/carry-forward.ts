import type { KnownAlert } from '../../github/sarif/code-scanning-alerts.js';
import type { SarifFinding } from '../../github/sarif/sarif-types.js';
import type { ScanResult } from './scan-repository.js';

/** Patchling's rule ids are `patchling/cwe-<n>` (cwe-rules.ts). */
const RULE_ID = /^patchling\/cwe-(\d{1,5})$/;

/**
 * The alerts a scan must carry forward into its SARIF so that GitHub does not close them.
 * Code scanning treats an upload as the whole truth of its category on the ref: an alert
 * of that category missing from the newest upload is marked fixed. A diff-aware scan
 * hunts only the files changed since the previous scan, and a cut scan only part of its
 * scope, so the open (and dismissed) alerts in every file it did not hunt go into its SARIF
 * again, as they were. Those files are unchanged since the alert was raised (a diff scan)
 * or were not read (a cut one), so the alert's location and its line hash still hold.
 * A complete full scan carries nothing: what it did not find is gone.
 */
export function carryForwardAlerts(
  result: Pick<ScanResult, 'mode' | 'status' | 'findings' | 'scannedFiles'>,
  alerts: readonly KnownAlert[],
): SarifFinding[] {
  if (result.mode === 'full' && result.status === 'completed') return [];
  const hunted = new Set(result.scannedFiles);
  const found = new Set(result.findings.map((finding) => finding.fingerprint));
  const carried = new Map<string, SarifFinding>();
  for (const alert of alerts) {
    if (alert.state !== 'open' && alert.state !== 'dismissed') continue;
    if (found.has(alert.fingerprint) || carried.has(alert.fingerprint)) continue;
    const cwe = RULE_ID.exec(alert.ruleId ?? '')?.[1];
    const { location, message } = alert;
    // Without its rule, place and message it cannot be restated; GitHub keeps what it has.
    if (cwe === undefined || location === undefined || message === undefined) continue;
    if (hunted.has(location.path)) continue;
    carried.set(alert.fingerprint, {
      fingerprint: alert.fingerprint,
      title: firstLine(message),
      cwe: `CWE-${cwe}`,
      severity: alert.severity ?? 'medium',
      confidence: 1,
      path: location.path,
      startLine: location.startLine,
      endLine: location.endLine,
      explanation: '',
      flow: [],
      related: [],
      carried: { alertNumber: alert.number, message },
      proof: {
        status: 'unproven',
        explanation: `Not looked at again by this ${result.mode === 'diff' ? 'diff-aware' : 'incomplete'} scan: carried forward from alert ${alert.number}.`,
      },
    });
  }
  return [...carried.values()];
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
