import { UserError } from '../errors.js';
import {
  DEFAULT_NETWORK_ALLOW,
  narrowAllowlist,
  parseAllowEntry,
  parseAllowlist,
} from './allowlist.js';
import type { AllowEntry } from './allowlist.js';

/**
 * The operator's network settings. `allow` is where the setup phase may connect
 * (PATCHLING_NETWORK_ALLOW; unset: the public package registries). `agent` is the agent
 * phase's network: none (the default), or the same allowlist.
 */
export interface NetworkSettings {
  readonly allow: readonly AllowEntry[];
  readonly agent: 'none' | 'allowlist';
}

const AGENT_NETWORK_MODES = ['none', 'allowlist'] as const;

/** Reads PATCHLING_NETWORK_ALLOW and PATCHLING_AGENT_NETWORK; a bad value is a UserError. */
export function networkSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): NetworkSettings {
  const allowText = env.PATCHLING_NETWORK_ALLOW;
  const allow =
    allowText === undefined
      ? DEFAULT_NETWORK_ALLOW.map((entry) => parseAllowEntry(entry, 'default allowlist'))
      : parseAllowlist(allowText, 'PATCHLING_NETWORK_ALLOW');
  const agent = (env.PATCHLING_AGENT_NETWORK ?? 'none').trim() || 'none';
  if (!(AGENT_NETWORK_MODES as readonly string[]).includes(agent)) {
    throw new UserError(
      `PATCHLING_AGENT_NETWORK must be one of ${AGENT_NETWORK_MODES.join(', ')}, got ${JSON.stringify(agent)}.`,
    );
  }
  return { allow, agent: agent as NetworkSettings['agent'] };
}

/**
 * The allowlist for one repository: the operator's, narrowed by the repository's
 * `setup.network` when it has one. Entries the operator does not allow are dropped (and
 * returned, to be reported): a repository can never widen the list.
 */
export function repositoryAllowlist(
  settings: NetworkSettings,
  repoNetwork: readonly string[] | undefined,
): { entries: readonly AllowEntry[]; dropped: readonly string[] } {
  if (repoNetwork === undefined) return { entries: settings.allow, dropped: [] };
  const requested = repoNetwork.map((entry) => parseAllowEntry(entry, 'setup.network'));
  return narrowAllowlist(settings.allow, requested);
}
