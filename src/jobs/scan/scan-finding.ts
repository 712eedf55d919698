import type { Candidate, ProveOutput, Severity } from './scan-output.js';

/** Where a finding's data passes, source first (SARIF's codeFlows). */
export interface FlowStep {
  readonly path: string;
  readonly line: number;
  readonly note: string;
}

/** What Patchling itself saw when it re-ran the reproduction the agent wrote. */
export interface Reproduction {
  readonly command: string;
  readonly description: string;
  /** null: killed (timeout, signal). */
  readonly exitCode: number | null;
  /** Interleaved stdout and stderr, capped and redacted. */
  readonly output: string;
  readonly outputTruncated: boolean;
  /** The files the agent wrote for it, as a unified diff (capped), so it can be run again. */
  readonly patch: string;
}

/**
 * How a finding was proven:
 * - reproduced: the reproduction exited 0 when Patchling ran it;
 * - confirmed: the prover confirmed it by reading, without a reproduction that ran;
 * - unproven: the prover could not tell, or was not asked (the budget ran out).
 */
export type ProofStatus = 'reproduced' | 'confirmed' | 'unproven';

export interface Proof {
  readonly status: ProofStatus;
  readonly verdict?: ProveOutput['verdict'];
  readonly explanation: string;
  /** Present when the prover wrote one, whether or not it showed the weakness. */
  readonly reproduction?: Reproduction;
}

/** A finding that survived the checks and filters, merged with its near-duplicates. */
export interface ScanFinding {
  /** Stable across unrelated edits: CWE, file and the root cause, never line numbers. */
  readonly fingerprint: string;
  readonly title: string;
  readonly cwe: string;
  readonly severity: Severity;
  readonly confidence: number;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly evidence: string;
  readonly rootCause: string;
  readonly explanation: string;
  readonly flow: readonly FlowStep[];
  /** The other places the merged near-duplicates pointed at. */
  readonly related: readonly { readonly path: string; readonly line: number }[];
  readonly proof: Proof;
}

/** A candidate Patchling did not keep, and why. */
export interface DroppedCandidate {
  readonly candidate: Candidate;
  readonly reason: string;
}
