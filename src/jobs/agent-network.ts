import type { AllowEntry } from '../egress/allowlist.js';
import { repositoryAllowlist } from '../egress/network-settings.js';
import type { RepoConfig } from './repo-config.js';
import type { AgentJobDeps } from './run-agent-job.js';

/**
 * The agent phase's network for a job: none, unless the operator opted it into the
 * allowlist (PATCHLING_AGENT_NETWORK=allowlist); then the same list as setup, narrowed
 * by the repository's `setup.network`.
 */
export function agentNetworkOf(
  deps: Pick<AgentJobDeps, 'network'>,
  config: RepoConfig,
): { agentNetwork?: readonly AllowEntry[] } {
  if (deps.network?.agent !== 'allowlist') return {};
  return { agentNetwork: repositoryAllowlist(deps.network, config.setup.network).entries };
}
