import { gzipSync } from 'node:zlib';
import type { SarifLog, SarifResult, SarifRun } from './sarif-types.js';

/**
 * GitHub's limits for a code scanning upload (docs: "SARIF support for code scanning",
 * upload limits). Beyond the results limit GitHub keeps only the most severe results
 * anyway, so Patchling trims before sending and says what it trimmed.
 */
export interface SarifLimits {
  readonly maxGzippedBytes: number;
  readonly maxResults: number;
  readonly maxFlowLocations: number;
  readonly maxRelatedLocations: number;
}

export const SARIF_LIMITS: SarifLimits = {
  /** The gzipped file. */
  maxGzippedBytes: 10 * 1024 * 1024,
  /** Results GitHub shows per run (it accepts 25,000 but includes the top 5,000). */
  maxResults: 5_000,
  /** Thread flow locations GitHub includes per result. */
  maxFlowLocations: 1_000,
  /** Locations GitHub includes per result. */
  maxRelatedLocations: 100,
};

export interface FittedSarif {
  readonly log: SarifLog;
  /** The gzipped JSON, ready to base64 for the upload. */
  readonly gzipped: Buffer;
  /** Results left out, lowest severity first, and why. Empty when nothing was. */
  readonly notes: readonly string[];
}

/**
 * The log within GitHub's limits: long code flows and related locations cut to what
 * GitHub includes, then results dropped lowest severity first (results are ordered most
 * severe first) until the count and the compressed size fit. Every cut is noted in the
 * run's notifications, so the upload itself says it is not everything.
 */
export function fitSarifLimits(log: SarifLog, limits: SarifLimits = SARIF_LIMITS): FittedSarif {
  const notes: string[] = [];
  let runs = log.runs.map((run) => ({
    ...run,
    results: run.results.map((result) => capResult(result, limits)),
  }));
  const total = runs.reduce((sum, run) => sum + run.results.length, 0);
  if (runs.some((run) => run.results.length > limits.maxResults)) {
    runs = runs.map((run) => ({
      ...run,
      results: bySeverity(run.results).slice(0, limits.maxResults),
    }));
    const kept = runs.reduce((sum, run) => sum + run.results.length, 0);
    notes.push(
      `${total - kept} lowest-severity results left out: GitHub includes at most ${limits.maxResults} per run`,
    );
  }
  let fitted = withNotes(log, runs, notes);
  let gzipped = gzipSync(JSON.stringify(fitted));
  while (gzipped.length > limits.maxGzippedBytes) {
    const count = runs.reduce((sum, run) => sum + run.results.length, 0);
    if (count === 0)
      throw new Error(`The SARIF log is ${gzipped.length} bytes gzipped even without results`);
    const keep = Math.floor(count / 2);
    runs = runs.map((run) => ({
      ...run,
      results: bySeverity(run.results).slice(0, Math.ceil(keep / runs.length)),
    }));
    const kept = runs.reduce((sum, run) => sum + run.results.length, 0);
    notes.splice(
      0,
      notes.length,
      `${total - kept} lowest-severity results left out to fit GitHub's ${limits.maxGzippedBytes}-byte upload limit`,
    );
    fitted = withNotes(log, runs, notes);
    gzipped = gzipSync(JSON.stringify(fitted));
  }
  return { log: fitted, gzipped, notes };
}

const LEVEL_RANK = { error: 0, warning: 1, note: 2 } as const;

function bySeverity(results: readonly SarifResult[]): SarifResult[] {
  const score = severityScore;
  return [...results].sort(
    (a, b) => score(b) - score(a) || LEVEL_RANK[a.level] - LEVEL_RANK[b.level],
  );
}

function severityScore(result: SarifResult): number {
  const severity = result.properties.severity;
  return severity === 'critical' ? 9.5 : severity === 'high' ? 8 : severity === 'medium' ? 5.5 : 2;
}

function capResult(result: SarifResult, limits: SarifLimits): SarifResult {
  const related = result.relatedLocations;
  const flows = result.codeFlows?.map((flow) => ({
    threadFlows: flow.threadFlows.map((thread) => ({
      locations: thread.locations.slice(0, limits.maxFlowLocations),
    })),
  }));
  return {
    ...result,
    ...(related && related.length > limits.maxRelatedLocations
      ? { relatedLocations: related.slice(0, limits.maxRelatedLocations) }
      : {}),
    ...(flows ? { codeFlows: flows } : {}),
  };
}

function withNotes(log: SarifLog, runs: SarifRun[], notes: readonly string[]): SarifLog {
  if (notes.length === 0) return { ...log, runs };
  return {
    ...log,
    runs: runs.map((run) => ({
      ...run,
      invocations: run.invocations.map((invocation) => ({
        ...invocation,
        toolExecutionNotifications: [
          ...(invocation.toolExecutionNotifications ?? []),
          ...notes.map((text) => ({ level: 'warning' as const, message: { text } })),
        ],
      })),
    })),
  };
}
