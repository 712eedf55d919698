import type { Sandbox } from '../sandbox/types.js';
import type { EgressProxy, EgressRefusal } from './egress-proxy.js';
import { refusalText } from './egress-proxy.js';

/**
 * The agent phase's sandbox when the operator opts it into the allowlist: each command's
 * refused connections are appended to its output as a denied approval, the way the shell
 * tool answers an escalation request, so the model knows why the network failed and does
 * not retry in circles. Commands that may reach the network run one at a time (shell is a
 * mutating tool), so the refusals taken after a command are that command's. Closing the
 * sandbox closes the proxy.
 */
export function reportEgressRefusals(sandbox: Sandbox, proxy: EgressProxy): Sandbox {
  return {
    // Whatever else a Sandbox carries passes through unchanged.
    ...sandbox,
    run: async (request) => {
      proxy.takeRefusals();
      const result = await sandbox.run(request);
      const refusals = proxy.takeRefusals();
      if (refusals.length === 0) return result;
      return { ...result, output: `${result.output}${deniedApprovalText(refusals)}` };
    },
    close: async () => {
      try {
        await sandbox.close?.();
      } finally {
        await proxy.close();
      }
    },
  };
}

/** What the model reads about refused connections. */
function deniedApprovalText(refusals: readonly EgressRefusal[]): string {
  const lines = unique(refusals).map((refusal) =>
    refusalText(refusal.host, refusal.port, refusal.reason),
  );
  return (
    `\n\nDenied: ${lines.join(' ')} Reaching it would need an approval; this run is ` +
    'non-interactive in CI and nobody can approve more network access, so it was denied. ' +
    'Work with what is installed and reachable, or say in your answer what was missing.\n'
  );
}

function unique(refusals: readonly EgressRefusal[]): EgressRefusal[] {
  const seen = new Set<string>();
  return refusals.filter((refusal) => {
    const key = `${refusal.host}:${refusal.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
