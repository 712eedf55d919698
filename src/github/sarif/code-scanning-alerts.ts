import { z } from 'zod';
import { isGitHubRequestFailure } from '../errors.js';
import { readAllPages } from '../review/paginate.js';
import type { GitHubApi, GitHubRepo } from '../types.js';
import { TOOL_NAME } from './build-sarif.js';

/** Patchling writes its fingerprint into every result's message, where alerts keep it. */
const ID_IN_MESSAGE = /Patchling id: ([0-9a-f]{16})/;

const Alert = z.object({
  number: z.number(),
  state: z.string(),
  html_url: z.string().optional(),
  dismissed_reason: z.string().nullable().optional(),
  rule: z
    .object({
      id: z.string().nullable().optional(),
      severity: z.string().nullable().optional(),
      security_severity_level: z.string().nullable().optional(),
    })
    .passthrough(),
  most_recent_instance: z
    .object({
      message: z.object({ text: z.string().optional() }).passthrough().optional(),
      location: z
        .object({
          path: z.string().optional(),
          start_line: z.number().int().min(1).optional(),
          end_line: z.number().int().min(1).optional(),
        })
        .passthrough()
        .optional(),
    })
    .passthrough(),
});

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** GitHub's `rule.severity` when no security severity is given. */
const BY_LEVEL: Readonly<Record<string, KnownAlertSeverity>> = {
  error: 'high',
  warning: 'medium',
  note: 'low',
};
export type KnownAlertSeverity = (typeof SEVERITIES)[number];

export interface KnownAlert {
  readonly number: number;
  readonly state: 'open' | 'dismissed' | 'fixed' | 'other';
  readonly fingerprint: string;
  readonly url?: string;
  /** Where the most recent instance is, what it said, and its rule: enough to carry it forward. */
  readonly ruleId?: string;
  readonly severity?: KnownAlertSeverity;
  readonly message?: string;
  readonly location?: {
    readonly path: string;
    readonly startLine: number;
    readonly endLine: number;
  };
}

export interface PatchlingAlerts {
  readonly alerts: readonly KnownAlert[];
  /** Code scanning cannot be read here: GitHub's status (403 or 404); no alerts then. */
  readonly unreadable?: number;
}

/**
 * Patchling's alerts on the ref, with the fingerprint each carries. A repository without
 * code scanning (404) or GitHub Advanced Security (403) has none to compare with: an empty
 * list with that status, and the caller says so.
 */
export async function listPatchlingAlerts(
  github: GitHubApi,
  repo: GitHubRepo,
  ref: string,
): Promise<PatchlingAlerts> {
  let raw: unknown[];
  try {
    raw = await readAllPages((page) =>
      github
        .request('GET /repos/{owner}/{repo}/code-scanning/alerts', {
          owner: repo.owner,
          repo: repo.repo,
          tool_name: TOOL_NAME,
          ref,
          per_page: 100,
          page,
        })
        .then((response) => ({ data: response.data as unknown[], headers: response.headers })),
    );
  } catch (error) {
    if (isGitHubRequestFailure(error) && (error.status === 403 || error.status === 404))
      return { alerts: [], unreadable: error.status };
    throw error;
  }
  const alerts: KnownAlert[] = [];
  for (const item of raw) {
    const parsed = Alert.safeParse(item);
    if (!parsed.success) continue;
    const fingerprint = ID_IN_MESSAGE.exec(
      parsed.data.most_recent_instance.message?.text ?? '',
    )?.[1];
    if (fingerprint === undefined) continue;
    const state = parsed.data.state;
    const { rule, most_recent_instance: instance } = parsed.data;
    const level = rule.security_severity_level ?? '';
    const severity = (SEVERITIES as readonly string[]).includes(level)
      ? (level as KnownAlertSeverity)
      : BY_LEVEL[rule.severity ?? ''];
    const where = instance.location;
    alerts.push({
      number: parsed.data.number,
      state: state === 'open' || state === 'dismissed' || state === 'fixed' ? state : 'other',
      fingerprint,
      ...(parsed.data.html_url ? { url: parsed.data.html_url } : {}),
      ...(rule.id ? { ruleId: rule.id } : {}),
      ...(severity ? { severity } : {}),
      ...(instance.message?.text ? { message: instance.message.text } : {}),
      ...(where?.path && where.start_line !== undefined
        ? {
            location: {
              path: where.path,
              startLine: where.start_line,
              endLine: Math.max(where.end_line ?? where.start_line, where.start_line),
            },
          }
        : {}),
    });
  }
  return { alerts };
}

export interface ScanComparison<T> {
  /** Not seen before (not open, not dismissed). */
  readonly new: readonly T[];
  readonly stillPresent: readonly T[];
  /** Dismissed on GitHub: kept in the SARIF (so they stay dismissed), never reported again. */
  readonly dismissed: readonly T[];
  /** Open alerts this scan no longer finds. Only meaningful for a complete full scan. */
  readonly fixed: readonly KnownAlert[];
}

/** This scan's findings against the alerts GitHub holds, by fingerprint. */
export function compareWithAlerts<T extends { readonly fingerprint: string }>(
  findings: readonly T[],
  alerts: readonly KnownAlert[],
): ScanComparison<T> {
  const byFingerprint = new Map<string, KnownAlert['state']>();
  for (const alert of alerts) {
    // A dismissal wins over any other alert with the same id.
    if (byFingerprint.get(alert.fingerprint) !== 'dismissed')
      byFingerprint.set(alert.fingerprint, alert.state);
  }
  const current = new Set(findings.map((finding) => finding.fingerprint));
  return {
    new: findings.filter((f) => {
      const state = byFingerprint.get(f.fingerprint);
      return state === undefined || state === 'fixed' || state === 'other';
    }),
    stillPresent: findings.filter((f) => byFingerprint.get(f.fingerprint) === 'open'),
    dismissed: findings.filter((f) => byFingerprint.get(f.fingerprint) === 'dismissed'),
    fixed: alerts.filter((alert) => alert.state === 'open' && !current.has(alert.fingerprint)),
  };
}
