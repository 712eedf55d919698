import type { AgentEvent } from '../../agent/events.js';
import { describeError } from '../../errors.js';
import { isGitHubRequestFailure } from '../../github/errors.js';
import { readAllPages } from '../../github/review/paginate.js';
import { listPatchlingAlerts } from '../../github/sarif/code-scanning-alerts.js';
import type { GitHubApi, GitHubRepo } from '../../github/types.js';
import type { SecretRedactor } from '../../util/redact-secrets.js';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import { agentNetworkOf } from '../agent-network.js';
import { htmlBaseOf, type FixTarget } from '../fix/load-fix-target.js';
import { publishFix } from '../fix/publish-fix.js';
import type { ScanJob } from '../job.js';
import type { RepoConfig } from '../repo-config.js';
import type { AgentJobDeps } from '../run-agent-job.js';
import { attemptFindingFix } from './attempt-finding-fix.js';
import { renderFindingEvidence } from './finding-fix-text.js';
import { selectFixableFindings } from './fixable-findings.js';
import { fixBranch } from '../fix/fix-branch.js';
import { RECHECK_WORST_CASE_MS } from './recheck-reproduction.js';
import { trackBudget, type BudgetTracker } from './scan-budget.js';
import { fixDeadline } from './scan-deadline.js';
import type { ScanFinding } from './scan-finding.js';
import type { ScanResult } from './scan-repository.js';

/**
 * opened: a draft pull request carries the fix (or, when GitHub refused the pull request,
 * the branch does: `link` says where). not_proven: a fix was attempted and nothing was
 * published, with why. skipped: no fix was attempted (one is already open, the budget
 * ran out, the per-scan limit).
 */
export type FindingFixOutcome =
  | {
      readonly kind: 'opened';
      readonly finding: ScanFinding;
      readonly link: string;
      readonly summary: string;
    }
  | { readonly kind: 'not_proven'; readonly finding: ScanFinding; readonly reason: string }
  | { readonly kind: 'skipped'; readonly finding: ScanFinding; readonly reason: string };

export interface ScanFixes {
  readonly outcomes: readonly FindingFixOutcome[];
  /** Why no fix was looked for at all, when scan.fix is on. */
  readonly note?: string;
}

export interface FixScanFindingsInput {
  readonly deps: AgentJobDeps;
  readonly job: ScanJob;
  readonly config: RepoConfig;
  readonly result: ScanResult;
  /** The findings the comparison with code scanning calls new. */
  readonly newFindings: readonly ScanFinding[];
  /** The scan's checkout, after setup: each fix starts from a fresh copy of it. */
  readonly workspace: string;
  readonly token: string;
  readonly redactor: SecretRedactor;
  readonly signal: AbortSignal;
  readonly now?: () => number;
  /** The scan's deadline (scan-deadline.ts); absent: its start plus scan.timeout_minutes. */
  readonly deadlineAt?: number;
  readonly onProgress?: (text: string) => void;
  readonly onEvent?: (event: AgentEvent) => void;
  /** Code scanning processed this scan's upload: its alerts can be linked. */
  readonly alertsReady?: boolean;
}

/**
 * `scan.fix`: one draft pull request per new, reproduced finding at or above
 * `scan.fix_at`, through the fix engine and the fix job's publisher. A fix is published
 * only when the finding's reproduction, run again by Patchling on the fixed tree, no
 * longer shows the weakness. Fixes spend what is left of the scan's own budgets (tokens
 * and deadline) and a scan cut short attempts none. See docs/scan.md.
 */
export async function fixScanFindings(input: FixScanFindingsInput): Promise<ScanFixes> {
  const { config, result } = input;
  if (!config.scan.fix) return { outcomes: [] };
  const selection = selectFixableFindings(input.newFindings, config.scan.fix_at);
  if (selection.chosen.length === 0) return { outcomes: [] };
  if (result.status !== 'completed') {
    return {
      outcomes: [],
      note: 'No fixes were attempted: the scan was cut short, so its budget is spent and its findings are not all examined.',
    };
  }
  const now = input.now ?? Date.now;
  // The scan's deadline (absent: its start, its duration ago, plus scan.timeout_minutes),
  // less the time a proof may take after the fix (scan-deadline.ts).
  const scanDeadlineAt =
    input.deadlineAt ?? now() - result.durationMs + config.scan.timeout_minutes * 60_000;
  const budget = trackBudget(
    {
      maxTurnsPerRun: input.deps.maxTurns,
      maxTokens: config.scan.max_tokens,
      deadlineAt: fixDeadline(scanDeadlineAt, now(), RECHECK_WORST_CASE_MS),
    },
    now,
  );
  budget.spend(result.usage);
  const room = budget.next(1);
  if (!room.ok) return { outcomes: [], note: `No fixes were attempted: ${room.reason}.` };

  const repo: GitHubRepo = { owner: input.job.repo.owner, repo: input.job.repo.repo };
  const { data: repository } = await input.deps.github.request('GET /repos/{owner}/{repo}', {
    owner: repo.owner,
    repo: repo.repo,
  });
  const base = branchOf(input.job.ref) ?? repository.default_branch;
  const botLogin = await input.deps.botLogin();
  const openPulls = await openPullRequests(input.deps.github, repo);
  const alerts = input.alertsReady ? await alertLinks(input.deps.github, repo, input.job.ref) : {};
  const outcomes: FindingFixOutcome[] = [];
  let index = 0;
  for (const finding of selection.chosen) {
    index += 1;
    input.onProgress?.(`Fixing finding ${index} of ${selection.chosen.length}`);
    outcomes.push(
      await fixOne(input, finding, {
        repo,
        base,
        htmlBase: htmlBaseOf(repository.html_url, repo),
        botLogin,
        budget,
        alertUrl: alerts[finding.fingerprint],
        openPulls,
      }),
    );
  }
  for (const { finding, reason } of selection.deferred)
    outcomes.push({ kind: 'skipped', finding, reason });
  return { outcomes };
}

interface FixContext {
  readonly repo: GitHubRepo;
  readonly base: string;
  readonly htmlBase: string;
  readonly botLogin: string;
  readonly budget: BudgetTracker;
  readonly alertUrl?: string | undefined;
  readonly openPulls: readonly OpenPullRequest[];
}

async function fixOne(
  input: FixScanFindingsInput,
  finding: ScanFinding,
  context: FixContext,
): Promise<FindingFixOutcome> {
  const { deps, config, redactor } = input;
  const branch = fixBranch({ kind: 'scan_finding', fingerprint: finding.fingerprint });
  const existing = await existingFix(deps.github, context.repo, branch, context.openPulls);
  if (existing !== undefined) return { kind: 'skipped', finding, reason: existing };
  const next = context.budget.next(1);
  if (!next.ok) return { kind: 'skipped', finding, reason: next.reason };
  const onWarning = (message: string) => deps.log({ msg: 'warning', warning: message });
  try {
    const attempt = await attemptFindingFix(
      {
        finding,
        workspace: input.workspace,
        head: input.result.head,
        repository: `${context.repo.owner}/${context.repo.repo}`,
        config,
        ...agentNetworkOf(deps, config),
        modelConfig: deps.modelConfig,
        stateDir: deps.stateDir,
        env: {},
        secrets: [...deps.secrets, ...tokenSpellings(input.token)],
        budgets: next.budgets,
        redact: (text) => redactor.redact(text),
        scratchParent: deps.workRoot,
        signal: input.signal,
        onEvent: input.onEvent,
        onWarning,
      },
      (proven) =>
        publishFix({
          deps,
          job: { repo: input.job.repo, requester: input.job.requester },
          target: fixTarget(finding, context, branch),
          result: proven.fix,
          dir: proven.dir,
          base: input.result.head,
          token: input.token,
          botLogin: context.botLogin,
          signal: input.signal,
          evidence: renderFindingEvidence({ finding, ...proven, alertUrl: context.alertUrl }),
        }),
    );
    if (attempt.fix) context.budget.spend(attempt.fix.usage);
    deps.log({
      msg: 'scan fix finished',
      fingerprint: finding.fingerprint,
      ...(attempt.fix ? { runId: attempt.fix.runId, status: attempt.fix.status } : {}),
      proven: attempt.kind === 'proven',
    });
    if (attempt.kind === 'not_proven')
      return { kind: 'not_proven', finding, reason: attempt.reason };
    if (attempt.value.kind === 'patch_only') {
      // Proven, but nowhere to put it (the token cannot push): say why, not "below".
      const why = attempt.value.details.split('\n')[0] ?? '';
      return {
        kind: 'not_proven',
        finding,
        reason: redactor.redact(`the fix was proven but could not be published: ${why}`),
      };
    }
    return {
      kind: 'opened',
      finding,
      link: attempt.value.link,
      summary: redactor.redact(attempt.value.summary),
    };
  } catch (error) {
    if (input.signal.aborted) throw error;
    return {
      kind: 'not_proven',
      finding,
      reason: redactor.redact(`the fix failed: ${describeError(error)}`),
    };
  }
}

/**
 * Why a fix for this finding is not attempted again: an open pull request from its branch,
 * or from one of its fallbacks (`<branch>-<commit>`, when the push to the branch itself
 * was refused), or the branch there without one (a maintainer closed the pull request,
 * or is working on the branch). Deleting the branch lets a later scan try again.
 */
async function existingFix(
  github: GitHubApi,
  repo: GitHubRepo,
  branch: string,
  open: readonly OpenPullRequest[],
): Promise<string | undefined> {
  const proposed = open.find(
    (pr) =>
      pr.head.repo?.full_name?.toLowerCase() === `${repo.owner}/${repo.repo}`.toLowerCase() &&
      (pr.head.ref === branch || pr.head.ref.startsWith(`${branch}-`)),
  );
  if (proposed !== undefined) return `its fix is already proposed in #${proposed.number}`;
  try {
    await github.request('GET /repos/{owner}/{repo}/branches/{branch}', {
      owner: repo.owner,
      repo: repo.repo,
      branch,
    });
    return `the branch \`${branch}\` exists without an open pull request (delete it to let Patchling try again)`;
  } catch (error) {
    if (isGitHubRequestFailure(error) && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Each open alert's page, by the fingerprint in its message: the fixes are of new findings,
 * whose alerts exist once code scanning processed this upload. None when they cannot be read.
 */
async function alertLinks(
  github: GitHubApi,
  repo: GitHubRepo,
  ref: string,
): Promise<Readonly<Record<string, string>>> {
  const { alerts } = await listPatchlingAlerts(github, repo, ref);
  return Object.fromEntries(
    alerts.flatMap((alert) =>
      alert.state === 'open' && alert.url ? [[alert.fingerprint, alert.url]] : [],
    ),
  );
}

interface OpenPullRequest {
  readonly number: number;
  readonly head: { readonly ref: string; readonly repo: { readonly full_name?: string } | null };
}

/** The repository's open pull requests, read once a scan (fixes' branches are among them). */
async function openPullRequests(
  github: GitHubApi,
  repo: GitHubRepo,
): Promise<readonly OpenPullRequest[]> {
  return readAllPages((page) =>
    github
      .request('GET /repos/{owner}/{repo}/pulls', {
        owner: repo.owner,
        repo: repo.repo,
        state: 'open',
        per_page: 100,
        page,
      })
      .then((response) => ({ data: response.data, headers: response.headers })),
  );
}

function fixTarget(finding: ScanFinding, context: FixContext, branch: string): FixTarget {
  const { repo } = context;
  return {
    origin: { kind: 'scan_finding', fingerprint: finding.fingerprint },
    title: `${finding.title} (${finding.cwe})`,
    body: '',
    comments: [],
    subject: '',
    checkout: { ...repo, ref: `refs/heads/${context.base}` },
    push: { ...repo, branch, own: true, openPullRequestInto: context.base },
    htmlBase: context.htmlBase,
  };
}

function branchOf(ref: string): string | undefined {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}
