import { buildBubblewrapArgs } from './bubblewrap-args.js';
import type { HostMount } from './bubblewrap-args.js';
import { checkCommandRequest } from './check-command-request.js';
import { egressProxyEnv, wrapWithForwarder } from './egress-forwarder.js';
import { SANDBOX_IDENTITY, synthesizeEtcFiles } from './etc-files.js';
import { LAUNCHER_SHELL, buildLauncherArgs } from './launcher.js';
import type { ProcessLimitStrategy } from './process-limit.js';
import { runProcess } from './run-process.js';
import { SandboxCgroup } from './sandbox-cgroup.js';
import type { CommandRequest, CommandResult, Sandbox, SandboxLimits } from './types.js';

export interface BubblewrapSandboxConfig {
  readonly bwrapPath: string;
  /** Real path. */
  readonly workspace: string;
  readonly policy: 'read-only' | 'workspace-write';
  readonly gitPath?: string;
  readonly hostMounts: readonly HostMount[];
  /** The allowlisted environment; a request's env is laid over it. */
  readonly env: Readonly<Record<string, string>>;
  readonly limits: SandboxLimits;
  readonly processLimit: ProcessLimitStrategy;
  readonly runAs?: { readonly uid: number; readonly gid: number };
  readonly onWarning: (message: string) => void;
  /** Network through Patchling's egress proxy; absent: no network at all. */
  readonly egress?: {
    readonly socketPath: string;
    readonly nodePath: string;
    readonly noProxy?: readonly string[];
  };
}

// fds 0-2 are stdio; the synthetic /etc files follow on 3, 4, 5 (see runProcess extraInputs).
const ETC_FDS = { passwd: 3, group: 4, hosts: 5 } as const;

/** A Sandbox that runs each command in a fresh bubblewrap container. */
export function createBubblewrapSandbox(config: BubblewrapSandboxConfig): Sandbox {
  const etc = synthesizeEtcFiles(SANDBOX_IDENTITY);
  const { limits, processLimit } = config;
  const cgroup =
    processLimit.kind === 'cgroup'
      ? new SandboxCgroup(processLimit.parent, limits.maxProcesses, config.onWarning)
      : undefined;

  const egress = config.egress;
  // Set last: a request cannot point its proxy variables elsewhere.
  const egressEnv = egress === undefined ? {} : egressProxyEnv(egress.noProxy);

  const run = async (request: CommandRequest): Promise<CommandResult> => {
    const cwd = await checkCommandRequest(config.workspace, request);
    const cgroupProcsFile = await cgroup?.acquire();
    try {
      const bwrapArgs = buildBubblewrapArgs({
        policy: config.policy,
        workspace: config.workspace,
        gitPath: config.gitPath,
        hostMounts: config.hostMounts,
        uid: SANDBOX_IDENTITY.uid,
        gid: SANDBOX_IDENTITY.gid,
        hostname: SANDBOX_IDENTITY.hostname,
        home: SANDBOX_IDENTITY.home,
        cwd,
        env: { ...config.env, ...request.env, ...egressEnv },
        tmpfsSizeBytes: limits.tmpfsSizeBytes,
        etcFds: ETC_FDS,
        ...(egress === undefined
          ? { command: request.argv }
          : {
              egressSocket: egress.socketPath,
              command: wrapWithForwarder(egress.nodePath, request.argv),
            }),
      });
      return await runProcess({
        file: LAUNCHER_SHELL,
        args: buildLauncherArgs({
          maxFileSizeBytes: limits.maxFileSizeBytes,
          maxProcesses: limits.maxProcesses,
          cgroupProcsFile,
          command: [config.bwrapPath, ...bwrapArgs],
        }),
        cwd: '/',
        // Empty on purpose: bwrap's own /proc/<pid>/environ is readable from inside the
        // pid namespace (its reaper is pid 1), so it must hold nothing of ours. The
        // command's environment travels as --setenv.
        env: {},
        uid: config.runAs?.uid,
        gid: config.runAs?.gid,
        stdin: request.stdin,
        extraInputs: [etc.passwd, etc.group, etc.hosts],
        timeoutMs: request.timeoutMs,
        signal: request.signal,
        maxOutputBytes: limits.maxOutputBytes,
        maxTotalOutputBytes: limits.maxTotalOutputBytes,
      });
    } finally {
      if (cgroupProcsFile !== undefined) cgroup?.release();
    }
  };

  const close = async (): Promise<void> => {
    await cgroup?.close();
  };
  return { policy: config.policy, workspace: config.workspace, run, close };
}
