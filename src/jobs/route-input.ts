import type { RepoConfig } from './repo-config.js';

/**
 * What the routing table is given, shared by route.ts and each event's router. Kept in its
 * own module so the per-event routers and the scan schedule can name it without importing
 * route.ts (which imports them).
 */

/** The event name a trigger uses when the App's timer fires for a repository's scan.schedule. */
export const CONFIGURED_SCHEDULE_EVENT = 'patchling.configured_schedule';

export interface RouteInput {
  /** The `x-github-event` header, or GITHUB_EVENT_NAME in the Action. */
  readonly name: string;
  readonly payload: unknown;
  /** The parsed `.github/patchling.yml`, or its problems when it is invalid. */
  readonly config: RepoConfig | { readonly problems: readonly string[] };
  /** Patchling's own login, e.g. "patchling[bot]" (or "github-actions[bot]" in the Action). */
  readonly botLogin: string;
  /** The name in commands: "/patchling review", "@patchling fix". */
  readonly commandName: string;
  /** Overrides the payload's installation id. */
  readonly installationId?: number;
  /**
   * The Action's repository and ref (GITHUB_REPOSITORY, GITHUB_REF), for a `schedule`
   * payload, which may carry nothing but the cron string.
   */
  readonly actionRepository?: {
    readonly owner: string;
    readonly repo: string;
    readonly ref: string;
  };
}

/** The input with the config every router reads (the default one when the file is invalid). */
export interface RouteContext {
  readonly input: RouteInput;
  readonly config: RepoConfig;
}
