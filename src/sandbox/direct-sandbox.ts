import { checkCommandRequest } from './check-command-request.js';
import { LAUNCHER_SHELL, buildLauncherArgs } from './launcher.js';
import { runProcess } from './run-process.js';
import type { CommandRequest, CommandResult, Sandbox, SandboxLimits } from './types.js';
import { withSweep } from './workspace-sweep.js';
import type { WorkspaceSweep } from './workspace-sweep.js';

export interface DirectSandboxConfig {
  /** Real path. */
  readonly workspace: string;
  readonly env: Readonly<Record<string, string>>;
  readonly limits: SandboxLimits;
  /** Without a mount namespace nothing is protected; leftovers are still neutralised. */
  readonly sweep: WorkspaceSweep;
}

/**
 * danger-full-access: no namespaces, no mounts. What remains is what does not need
 * bubblewrap: the allowlisted environment (secrets still stay out), the rlimits, the
 * timeout and process-group kill, the output caps.
 */
export function createDirectSandbox(config: DirectSandboxConfig): Sandbox {
  const run = async (request: CommandRequest): Promise<CommandResult> => {
    const cwd = await checkCommandRequest(config.workspace, request);
    const env = { ...config.env, ...request.env };
    const result = await runProcess({
      file: LAUNCHER_SHELL,
      args: buildLauncherArgs({
        maxFileSizeBytes: config.limits.maxFileSizeBytes,
        maxProcesses: config.limits.maxProcesses,
        // No cgroup here: the address-space limit is what holds without one.
        maxAddressSpaceBytes: config.limits.maxMemoryBytes,
        command: request.argv,
      }),
      cwd,
      env,
      stdin: request.stdin,
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      maxOutputBytes: config.limits.maxOutputBytes,
      maxTotalOutputBytes: config.limits.maxTotalOutputBytes,
      // Without a pid namespace, backgrounded children would outlive the command.
      killGroupOnExit: true,
    });
    return withSweep(result, config.sweep);
  };
  return { policy: 'danger-full-access', workspace: config.workspace, run };
}
