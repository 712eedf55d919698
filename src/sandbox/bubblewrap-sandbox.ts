import { buildBubblewrapArgs } from './bubblewrap-args.js';
import type { HostMount, WorkspaceMount } from './bubblewrap-args.js';
import { checkCommandRequest } from './check-command-request.js';
import { checkMountPoints } from './check-mount-points.js';
import { egressProxyEnv, wrapWithForwarder } from './egress-forwarder.js';
import { SANDBOX_IDENTITY } from './etc-files.js';
import { LAUNCHER_SHELL, buildLauncherArgs } from './launcher.js';
import type { ProcessLimitStrategy } from './process-limit.js';
import { runProcess } from './run-process.js';
import { createCommandCgroups } from './command-cgroups.js';
import type { MemoryLimitStrategy } from './memory-limit.js';
import type { CommandRequest, CommandResult, Sandbox, SandboxLimits } from './types.js';
import { withSweep } from './workspace-sweep.js';
import type { WorkspaceSweep } from './workspace-sweep.js';
import type { EtcStage } from './stage-etc-dir.js';

export interface BubblewrapSandboxConfig {
  readonly bwrapPath: string;
  /** Real path. */
  readonly workspace: string;
  readonly policy: 'read-only' | 'workspace-write';
  /** Checks the workspace after each command that could write it. */
  readonly sweep: WorkspaceSweep;
  readonly hostMounts: readonly HostMount[];
  /** The sandbox's /etc, staged once (stage-etc-dir.ts); removed at close. */
  readonly etc: Pick<EtcStage, 'dir' | 'remove'>;
  /** Read-only directories shown inside the workspace (see BubblewrapProfile). */
  readonly workspaceMounts?: readonly WorkspaceMount[];
  /** The allowlisted environment; a request's env is laid over it. */
  readonly env: Readonly<Record<string, string>>;
  readonly limits: SandboxLimits;
  readonly processLimit: ProcessLimitStrategy;
  readonly memoryLimit: MemoryLimitStrategy;
  readonly runAs?: { readonly uid: number; readonly gid: number };
  readonly onWarning: (message: string) => void;
  /** Network through Patchling's egress proxy; absent: no network at all. */
  readonly egress?: {
    readonly socketPath: string;
    readonly nodePath: string;
    readonly noProxy?: readonly string[];
  };
}

// fds 0-2 are stdio; bwrap's own arguments follow on 3 (see runProcess extraInputs).
const ARGS_FD = 3;

/** A Sandbox that runs each command in a fresh bubblewrap container. */
export function createBubblewrapSandbox(config: BubblewrapSandboxConfig): Sandbox {
  const { limits, processLimit, memoryLimit } = config;
  const cgroups = createCommandCgroups(processLimit, memoryLimit, limits, config.onWarning);

  const egress = config.egress;
  // Set last: a request cannot point its proxy variables elsewhere.
  const egressEnv = egress === undefined ? {} : egressProxyEnv(egress.noProxy);

  // Bound inside the workspace, which commands can change: checked before each command.
  // (A repository's .git may be a gitdir file, even a symlink, from the start.)
  const mountPoints = [
    ...config.sweep.protectedPaths.map((protectedPath) => ({
      path: protectedPath,
      directory: false,
    })),
    ...(config.workspaceMounts ?? []).map((mount) => ({ path: mount.target, directory: true })),
  ];

  const run = async (request: CommandRequest): Promise<CommandResult> => {
    const cwd = await checkCommandRequest(config.workspace, request);
    await checkMountPoints(config.workspace, mountPoints);
    const lease = await cgroups.enter();
    try {
      const etcDir = await config.etc.dir();
      const bwrapArgs = buildBubblewrapArgs({
        policy: config.policy,
        workspace: config.workspace,
        protectedPaths: config.sweep.protectedPaths,
        hostMounts: config.hostMounts,
        ...(config.workspaceMounts ? { workspaceMounts: config.workspaceMounts } : {}),
        uid: SANDBOX_IDENTITY.uid,
        gid: SANDBOX_IDENTITY.gid,
        hostname: SANDBOX_IDENTITY.hostname,
        home: SANDBOX_IDENTITY.home,
        cwd,
        env: { ...config.env, ...request.env, ...egressEnv },
        tmpfsSizeBytes: limits.tmpfsSizeBytes,
        etcDir,
        ...(egress === undefined ? {} : { egressSocket: egress.socketPath }),
      });
      // With egress, the command starts behind the forwarder (egress-forwarder.ts).
      const command =
        egress === undefined ? request.argv : wrapWithForwarder(egress.nodePath, request.argv);
      const result = await runProcess({
        file: LAUNCHER_SHELL,
        args: buildLauncherArgs({
          maxFileSizeBytes: limits.maxFileSizeBytes,
          maxProcesses: limits.maxProcesses,
          cgroupProcsFiles: lease.procsFiles,
          ...(memoryLimit.kind === 'rlimit' ? { maxAddressSpaceBytes: limits.maxMemoryBytes } : {}),
          // The options travel on a pipe (--args), not in argv: bwrap's pid-1 reaper is a
          // fork of it, and its /proc/1/cmdline is readable inside. There it shows
          // `bwrap --args 3 -- <command>`, not the host paths, mounts and environment.
          command: [config.bwrapPath, '--args', String(ARGS_FD), '--', ...command],
        }),
        cwd: '/',
        // Empty on purpose: bwrap's own /proc/<pid>/environ is readable from inside the
        // pid namespace (its reaper is pid 1), so it must hold nothing of ours. The
        // command's environment travels as --setenv.
        env: {},
        uid: config.runAs?.uid,
        gid: config.runAs?.gid,
        stdin: request.stdin,
        extraInputs: [encodeArgs(bwrapArgs)],
        timeoutMs: request.timeoutMs,
        signal: request.signal,
        maxOutputBytes: limits.maxOutputBytes,
        maxTotalOutputBytes: limits.maxTotalOutputBytes,
      });
      return await withSweep(
        await lease.finish(result),
        config.policy === 'workspace-write' ? config.sweep : undefined,
      );
    } finally {
      lease.release();
    }
  };

  const close = async (): Promise<void> => {
    await cgroups.close();
    await config.etc.remove();
  };
  return { policy: config.policy, workspace: config.workspace, run, close };
}

/** NUL-terminated arguments, as bwrap's --args reads them. */
function encodeArgs(args: readonly string[]): string {
  return args.map((arg) => `${arg}\0`).join('');
}
