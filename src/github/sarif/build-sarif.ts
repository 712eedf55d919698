import { cweRule, cweTag } from './cwe-rules.js';
import { lineHashes } from './line-hash.js';
import type {
  SarifFinding,
  SarifLocation,
  SarifLog,
  SarifResult,
  SarifRule,
  SarifSeverity,
} from './sarif-types.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The key of Patchling's own fingerprint in partialFingerprints; versioned with its recipe. */
const ROOT_CAUSE_FINGERPRINT_KEY = 'patchlingRootCause/v1';
export const TOOL_NAME = 'Patchling';
const INFORMATION_URI = 'https://github.com/patchling/patchling';

/** GitHub's scale: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. */
const SECURITY_SEVERITY: Readonly<Record<SarifSeverity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
};
const LEVEL: Readonly<Record<SarifSeverity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};
const PROBLEM_SEVERITY: Readonly<Record<SarifSeverity, 'error' | 'warning' | 'recommendation'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'recommendation',
};
const RANK: Readonly<Record<SarifSeverity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

export interface BuildSarifInput {
  readonly findings: readonly SarifFinding[];
  readonly toolVersion: string;
  /** The commit scanned. */
  readonly head: string;
  /** https://github.com/OWNER/REPO, when known. */
  readonly repositoryUri?: string | undefined;
  /** False when coverage was cut: GitHub then does not take missing alerts as fixed. */
  readonly executionSuccessful: boolean;
  /** What was not covered and why, one line each. */
  readonly notes: readonly string[];
  /** automationDetails.id: one category per kind of scan, so runs of one kind compare. */
  readonly category: string;
  /** The scanned file's text, for primaryLocationLineHash; undefined when unreadable. */
  readonly readFile: (path: string) => Promise<string | undefined>;
}

/**
 * The SARIF 2.1.0 log of a scan, as GitHub code scanning ingests it: one rule per CWE,
 * one result per finding with its level, message, location, code flow and fingerprints.
 * `primaryLocationLineHash` is computed from the file's text at the scanned commit, the
 * way GitHub's own tooling does; Patchling's root-cause fingerprint sits beside it.
 */
export async function buildSarif(input: BuildSarifInput): Promise<SarifLog> {
  const findings = [...input.findings].sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] ||
      a.path.localeCompare(b.path) ||
      a.startLine - b.startLine,
  );
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  for (const finding of findings) {
    const rule = cweRule(finding.cwe);
    const existing = ruleIndex.get(rule.id);
    if (existing === undefined) {
      ruleIndex.set(rule.id, rules.length);
      rules.push(toRule(finding));
    } else if (RANK[finding.severity] < RANK[severityOfRule(rules[existing])]) {
      rules[existing] = toRule(finding);
    }
  }
  const hashes = new Map<string, string[] | undefined>();
  const results: SarifResult[] = [];
  for (const finding of findings) {
    if (!hashes.has(finding.path)) {
      const text = await input.readFile(finding.path);
      hashes.set(finding.path, text === undefined ? undefined : lineHashes(text));
    }
    const lineHash = hashes.get(finding.path)?.[finding.startLine];
    const id = cweRule(finding.cwe).id;
    results.push(toResult(finding, id, ruleIndex.get(id) ?? 0, lineHash));
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: input.toolVersion,
            semanticVersion: input.toolVersion,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        automationDetails: { id: `${input.category}/` },
        ...(input.repositoryUri
          ? {
              versionControlProvenance: [
                { repositoryUri: input.repositoryUri, revisionId: input.head },
              ],
            }
          : {}),
        invocations: [
          {
            executionSuccessful: input.executionSuccessful,
            ...(input.notes.length > 0
              ? {
                  toolExecutionNotifications: input.notes.map((text) => ({
                    level: 'warning' as const,
                    message: { text },
                  })),
                }
              : {}),
          },
        ],
        results,
      },
    ],
  };
}

function severityOfRule(rule: SarifRule | undefined): SarifSeverity {
  const score = rule?.properties['security-severity'];
  const found = (Object.keys(SECURITY_SEVERITY) as SarifSeverity[]).find(
    (severity) => SECURITY_SEVERITY[severity] === score,
  );
  return found ?? 'low';
}

function toRule(finding: SarifFinding): SarifRule {
  const rule = cweRule(finding.cwe);
  return {
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.shortDescription },
    fullDescription: { text: rule.fullDescription },
    help: {
      text: rule.help,
      markdown: `**${rule.shortDescription}.** ${rule.fullDescription}\n\n${rule.help}`,
    },
    defaultConfiguration: { level: LEVEL[finding.severity] },
    properties: {
      tags: ['security', cweTag(finding.cwe), finding.cwe],
      precision: 'high',
      'problem.severity': PROBLEM_SEVERITY[finding.severity],
      'security-severity': SECURITY_SEVERITY[finding.severity],
    },
  };
}

function location(
  path: string,
  startLine: number,
  endLine?: number,
): SarifLocation['physicalLocation'] {
  return {
    artifactLocation: { uri: encodeUriPath(path) },
    region: endLine !== undefined && endLine > startLine ? { startLine, endLine } : { startLine },
  };
}

function toResult(
  finding: SarifFinding,
  ruleId: string,
  ruleIndex: number,
  lineHash: string | undefined,
): SarifResult {
  const proof = finding.proof;
  const message = finding.carried
    ? finding.carried.message
    : `${finding.title}. ${finding.explanation}` +
      (proof.status === 'reproduced'
        ? `\n\nReproduced: \`${proof.reproduction?.command ?? ''}\` exited 0.`
        : '') +
      `\n\nPatchling id: ${finding.fingerprint}`;
  return {
    ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: message },
    locations: [{ physicalLocation: location(finding.path, finding.startLine, finding.endLine) }],
    ...(finding.related.length > 0
      ? {
          relatedLocations: finding.related.map((place, index) => ({
            id: index + 1,
            physicalLocation: location(place.path, place.line),
            message: { text: 'The same weakness' },
          })),
        }
      : {}),
    ...(finding.flow.length > 0
      ? {
          codeFlows: [
            {
              threadFlows: [
                {
                  locations: finding.flow.map((step) => ({
                    location: {
                      physicalLocation: location(step.path, step.line),
                      message: { text: step.note },
                    },
                  })),
                },
              ],
            },
          ],
        }
      : {}),
    partialFingerprints: {
      [ROOT_CAUSE_FINGERPRINT_KEY]: finding.fingerprint,
      ...(lineHash === undefined ? {} : { primaryLocationLineHash: lineHash }),
    },
    properties: {
      severity: finding.severity,
      confidence: finding.confidence,
      ...(finding.carried ? { carriedForwardFromAlert: finding.carried.alertNumber } : {}),
      proof: proof.status,
      proofExplanation: proof.explanation,
      ...(proof.reproduction
        ? {
            reproduction: {
              command: proof.reproduction.command,
              exitCode: proof.reproduction.exitCode,
              output: proof.reproduction.output,
            },
          }
        : {}),
    },
  };
}

/** A repository-relative path as a relative URI reference: each segment percent-encoded. */
function encodeUriPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
