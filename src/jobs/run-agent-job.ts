import type { AgentEvent, RunStatus } from '../agent/events.js';
import type { NetworkSettings } from '../egress/network-settings.js';
import type { GitHubApi } from '../github/types.js';
import type { ModelConfig } from '../model/model-config.js';
import type { FixJob, ReviewJob, ScanJob } from './job.js';
import { runFixJob } from './fix/run-fix-job.js';
import { runReviewJob } from './review/run-review-job.js';
import { runScanJob } from './scan/run-scan-job.js';
import type { GitCacheOptions } from '../workspace/git/repo-cache.js';

/** How the job ended, with the run's last word (redacted) for whoever reports it. */
export interface AgentJobOutcome {
  readonly status: RunStatus | 'unavailable';
  readonly runId?: string;
  /** One sentence: what happened. */
  readonly message?: string;
  readonly finalMessage?: string;
}

export interface AgentJobDeps {
  readonly github: GitHubApi;
  /** A short-lived installation token, for git only. */
  readonly gitToken: () => Promise<string>;
  /** https://github.com/OWNER/REPO.git, or a test server's URL. */
  readonly cloneUrl: (owner: string, repo: string) => string;
  /** The account Patchling posts as, e.g. "patchling[bot]": its earlier reviews are read back. */
  readonly botLogin: () => Promise<string>;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  /** Where job workspaces are made (one fresh directory per job, removed afterwards). */
  readonly workRoot: string;
  /**
   * One mirror per repository that job workspaces are filled from (the App's, which lives
   * long enough to reuse it); absent: each job fetches for itself (the Action).
   */
  readonly gitCache?: GitCacheOptions;
  readonly secrets: readonly string[];
  readonly maxTurns: number;
  /** The operator's network settings for setup and the agent; absent: the defaults. */
  readonly network?: NetworkSettings;
  /**
   * The Action: the workflow's own checkout. Dependencies it already installed there
   * (node_modules, .venv, venv, vendor) are copied into the job's workspace as they are,
   * instead of running setup.
   */
  readonly installedCheckout?: string;
  /** The setup cache's cap (PATCHLING_SETUP_CACHE_MAX_MB); absent: the default. */
  readonly setupCacheMaxBytes?: number;
  /** Called once the progress comment or check run exists, to persist its id for a restart. */
  readonly onProgressCreated: (progress: {
    kind: 'comment' | 'check_run';
    id: number;
  }) => Promise<void>;
  readonly log: (entry: Record<string, unknown>) => void;
  /** Waits between polls of GitHub (the SARIF processing status); tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock of decisions that depend on the date (a scan's periodic full scan). */
  readonly now?: () => Date;
  /** Every agent event as well, for the operator's metrics (model retries, rate-limit waits). */
  readonly onAgentEvent?: (event: AgentEvent) => void;
}

/**
 * The jobs that run the agent on a checkout, by kind. Each shows progress at once and
 * always brings it to a final state; review is the pull request review
 * (review/run-review-job.ts), fix turns an issue into a draft pull request
 * (fix/run-fix-job.ts), scan is the security scan (scan/run-scan-job.ts).
 */
export async function runAgentJob(
  jobId: string,
  job: ReviewJob | FixJob | ScanJob,
  deps: AgentJobDeps,
  signal: AbortSignal,
): Promise<AgentJobOutcome> {
  switch (job.kind) {
    case 'review':
      return runReviewJob(jobId, job, deps, signal);
    case 'scan':
      return runScanJob(jobId, job, deps, signal);
    case 'fix':
      return runFixJob(jobId, job, deps, signal);
    default: {
      const unhandled: never = job;
      throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
    }
  }
}
