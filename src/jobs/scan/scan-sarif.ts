import { readFile, stat } from 'node:fs/promises';
import { redactDeep } from '../../github/redact-request.js';
import { buildSarif } from '../../github/sarif/build-sarif.js';
import { fitSarifLimits, type FittedSarif } from '../../github/sarif/fit-sarif-limits.js';
import type { SarifFinding, SarifLog } from '../../github/sarif/sarif-types.js';
import type { SecretRedactor } from '../../util/redact-secrets.js';
import { PATCHLING_VERSION } from '../../version.js';
import { resolveWorkspacePath } from '../../workspace/resolve-workspace-path.js';
import type { ScanResult } from './scan-repository.js';

/** The SARIF category of a scan: full and diff-aware scans are compared only with their own kind. */
export function scanCategory(result: Pick<ScanResult, 'mode'>): string {
  return `patchling/scan-${result.mode}`;
}

export interface ScanSarif extends FittedSarif {
  /** How many alerts were carried forward (those whose file is still there). */
  readonly carried: number;
}

/**
 * A scan's SARIF, redacted (every string, before anything is encoded) and fitted to
 * GitHub's limits. The files are read from the scanned checkout through the path guard,
 * for primaryLocationLineHash.
 */
export async function scanSarif(
  result: ScanResult,
  options: {
    readonly workspace: string;
    readonly redactor: SecretRedactor;
    readonly repositoryUri?: string | undefined;
    /** Alerts restated for files this scan did not hunt (carryForwardAlerts). */
    readonly carried?: readonly SarifFinding[] | undefined;
  },
): Promise<ScanSarif> {
  const readText = async (file: string) => {
    try {
      const resolved = await resolveWorkspacePath(options.workspace, file);
      // A regular file only: a FIFO or a device would block the read.
      return (await stat(resolved)).isFile() ? await readFile(resolved, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
  // An alert in a file deleted since (or renamed away) is not carried: it is gone.
  const carried: SarifFinding[] = [];
  for (const finding of options.carried ?? []) {
    if ((await readText(finding.path)) !== undefined) carried.push(finding);
  }
  const notes = [
    ...(result.cutReason ? [`Coverage was cut: ${result.cutReason}.`] : []),
    ...result.notCovered.slice(0, 50).map((file) => `${file.path}: ${file.reason}`),
    ...(carried.length > 0
      ? [
          `${carried.length} earlier alert${carried.length === 1 ? ' is' : 's are'} carried forward from files this scan did not hunt.`,
        ]
      : []),
  ];
  const log = await buildSarif({
    findings: [...result.findings, ...carried],
    toolVersion: PATCHLING_VERSION,
    head: result.head,
    repositoryUri: options.repositoryUri,
    executionSuccessful: result.status === 'completed',
    notes,
    category: scanCategory(result),
    readFile: readText,
  });
  return {
    ...fitSarifLimits(redactDeep(log, options.redactor) as SarifLog),
    carried: carried.length,
  };
}
