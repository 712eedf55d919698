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
): Promise<FittedSarif> {
  const notes = [
    ...(result.cutReason ? [`Coverage was cut: ${result.cutReason}.`] : []),
    ...result.notCovered.slice(0, 50).map((file) => `${file.path}: ${file.reason}`),
    ...(options.carried?.length
      ? [
          `${options.carried.length} earlier alert${options.carried.length === 1 ? ' is' : 's are'} carried forward from files this scan did not hunt.`,
        ]
      : []),
  ];
  const log = await buildSarif({
    findings: [...result.findings, ...(options.carried ?? [])],
    toolVersion: PATCHLING_VERSION,
    head: result.head,
    repositoryUri: options.repositoryUri,
    executionSuccessful: result.status === 'completed',
    notes,
    category: scanCategory(result),
    readFile: async (file) => {
      try {
        const resolved = await resolveWorkspacePath(options.workspace, file);
        // A regular file only: a FIFO or a device would block the read.
        return (await stat(resolved)).isFile() ? await readFile(resolved, 'utf8') : undefined;
      } catch {
        return undefined;
      }
    },
  });
  return fitSarifLimits(redactDeep(log, options.redactor) as SarifLog);
}
