/**
 * The part of SARIF 2.1.0 Patchling writes (https://docs.oasis-open.org/sarif/sarif/v2.1.0/),
 * and the findings it writes it from. github/ knows nothing of how a scan runs: a scan's
 * findings fit SarifFinding as they are.
 */
export type SarifSeverity = 'critical' | 'high' | 'medium' | 'low';

export interface SarifFinding {
  /** The root-cause fingerprint, stable across unrelated edits. */
  readonly fingerprint: string;
  readonly title: string;
  readonly cwe: string;
  readonly severity: SarifSeverity;
  readonly confidence: number;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly explanation: string;
  readonly flow: readonly { readonly path: string; readonly line: number; readonly note: string }[];
  readonly related: readonly { readonly path: string; readonly line: number }[];
  /**
   * An alert carried forward from an earlier analysis into a scan that did not look at its
   * file (see carryForwardAlerts): its message as GitHub holds it, and its number.
   */
  readonly carried?: { readonly alertNumber: number; readonly message: string };
  readonly proof: {
    readonly status: 'reproduced' | 'confirmed' | 'unproven';
    readonly explanation: string;
    readonly reproduction?: {
      readonly command: string;
      readonly exitCode: number | null;
      readonly output: string;
    };
  };
}

export interface SarifLocation {
  readonly id?: number;
  readonly physicalLocation: {
    readonly artifactLocation: { readonly uri: string };
    readonly region: { readonly startLine: number; readonly endLine?: number };
  };
  readonly message?: { readonly text: string };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: 'error' | 'warning' | 'note';
  readonly message: { readonly text: string };
  readonly locations: readonly SarifLocation[];
  readonly relatedLocations?: readonly SarifLocation[];
  readonly codeFlows?: readonly {
    readonly threadFlows: readonly {
      readonly locations: readonly { readonly location: SarifLocation }[];
    }[];
  }[];
  readonly partialFingerprints: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription: { readonly text: string };
  readonly help: { readonly text: string; readonly markdown: string };
  readonly defaultConfiguration: { readonly level: 'error' | 'warning' | 'note' };
  readonly properties: {
    readonly tags: readonly string[];
    readonly precision: 'very-high' | 'high' | 'medium' | 'low';
    readonly 'problem.severity': 'error' | 'warning' | 'recommendation';
    readonly 'security-severity': string;
  };
}

export interface SarifRun {
  readonly tool: {
    readonly driver: {
      readonly name: string;
      readonly version: string;
      readonly semanticVersion: string;
      readonly informationUri: string;
      readonly rules: readonly SarifRule[];
    };
  };
  readonly automationDetails: { readonly id: string };
  readonly versionControlProvenance?: readonly {
    readonly repositoryUri: string;
    readonly revisionId: string;
  }[];
  readonly invocations: readonly {
    readonly executionSuccessful: boolean;
    readonly toolExecutionNotifications?: readonly {
      readonly level: 'error' | 'warning' | 'note';
      readonly message: { readonly text: string };
    }[];
  }[];
  readonly results: readonly SarifResult[];
  readonly properties?: Readonly<Record<string, unknown>>;
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly SarifRun[];
}
