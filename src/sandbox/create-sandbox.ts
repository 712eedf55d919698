import { realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { WorkspaceMount } from './bubblewrap-args.js';
import { createBubblewrapSandbox } from './bubblewrap-sandbox.js';
import { checkSandboxSupport } from './check-sandbox-support.js';
import { createDirectSandbox } from './direct-sandbox.js';
import type { SandboxEgress } from './egress-forwarder.js';
import { SANDBOX_IDENTITY, synthesizeEtcFiles } from './etc-files.js';
import { ETC_ALLOWLIST, describeHostLayout } from './host-layout.js';
import { resolveSandboxLimits, sandboxLimitsFromEnv } from './limits.js';
import { detectMemoryLimit } from './memory-limit.js';
import type { MemoryLimitStrategy } from './memory-limit.js';
import { detectProcessLimit } from './process-limit.js';
import { sweepStaleCgroups } from './sandbox-cgroup.js';
import { assertEnvAllowlistSafe, buildSandboxEnv } from './sandbox-env.js';
import { chooseStageParent, planEtcStage, sweepStaleEtcStages } from './stage-etc-dir.js';
import { SANDBOX_POLICIES } from './types.js';
import { prepareWorkspaceSweep } from './workspace-sweep.js';
import type { Sandbox, SandboxLimits, SandboxPolicy } from './types.js';

export interface CreateSandboxOptions {
  /** The repository checkout commands run in. */
  readonly workspace: string;
  /** Default 'workspace-write'. 'danger-full-access' must be chosen explicitly. */
  readonly policy?: SandboxPolicy;
  /** Names of parent environment variables passed through, beyond the base set. */
  readonly envAllowlist?: readonly string[];
  /** Host paths shown read-only inside (toolchains outside /usr and /opt). */
  readonly extraReadOnlyPaths?: readonly string[];
  readonly limits?: Partial<SandboxLimits>;
  /** Where warnings go (danger-full-access chosen, no process limit possible...). */
  readonly onWarning?: (message: string) => void;
  /** Default: bwrap on PATH, else /usr/bin/bwrap. */
  readonly bwrapPath?: string;
  /**
   * Host root only: run bwrap as this unprivileged host user, so that RLIMIT_NPROC holds
   * without a cgroup. The workspace must be writable by that user.
   */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /**
   * Host root only: a cgroup directory prepared for Patchling's pids and memory cgroups
   * (needed on cgroup v2 unless Patchling runs in the root cgroup). See docs/sandbox.md.
   */
  readonly cgroupParent?: string;
  /** Where allowlisted variables are read from. Default process.env. */
  readonly parentEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * Network through Patchling's egress proxy (the setup phase, or an agent phase opted
   * into the allowlist); absent: no network at all. See egress-forwarder.ts.
   */
  readonly egress?: SandboxEgress;
  /**
   * Host directories shown read-only at directories inside the workspace (which must exist:
   * they are the mount points). A prover's scratch copy shares the checkout's dependency
   * trees this way instead of copying them (see jobs/review/scratch-copy.ts). Not with
   * danger-full-access, which has no mounts.
   */
  readonly workspaceMounts?: readonly WorkspaceMount[];
}

// The self-test runs `true`; on a loaded CI machine that can take a while, not this long.
const SELF_TEST_TIMEOUT_MS = 15_000;

/**
 * Makes the sandbox every model-chosen command runs in, or fails with a UserError that
 * says how to fix the host. It never falls back to running unsandboxed on its own.
 */
export async function createSandbox(options: CreateSandboxOptions): Promise<Sandbox> {
  const policy = options.policy ?? 'workspace-write';
  if (!SANDBOX_POLICIES.includes(policy)) {
    throw new UserError(
      `Unknown sandbox policy ${JSON.stringify(policy)}; use one of ${SANDBOX_POLICIES.join(', ')}.`,
    );
  }
  const onWarning = options.onWarning ?? (() => undefined);
  const workspace = await resolveWorkspaceRoot(options.workspace);
  const parentEnv = options.parentEnv ?? process.env;
  const limits = resolveSandboxLimits({ ...sandboxLimitsFromEnv(parentEnv), ...options.limits });
  const allowlist = options.envAllowlist ?? [];
  assertEnvAllowlistSafe(allowlist);

  const workspaceMounts = await checkWorkspaceMounts(workspace, options.workspaceMounts ?? []);
  if (policy === 'danger-full-access') {
    if (workspaceMounts.length > 0) {
      throw new UserError('danger-full-access cannot show directories inside the workspace.');
    }
    onWarning(
      'Sandbox policy danger-full-access: model-chosen commands run with NO sandbox ' +
        '(full network, the whole filesystem, the host processes). Use it only on a throwaway, ' +
        'already isolated VM. The environment is still rebuilt from the allowlist.',
    );
    const env = buildSandboxEnv({
      parentEnv,
      allowlist,
      home: parentEnv.HOME ?? os.homedir(),
      tmpdir: parentEnv.TMPDIR ?? os.tmpdir(),
      nodeBinDir: path.dirname(await realpath(process.execPath)),
    });
    return createDirectSandbox({
      workspace,
      env,
      limits,
      sweep: await prepareWorkspaceSweep(workspace),
    });
  }

  const support = await checkSandboxSupport({ bwrapPath: options.bwrapPath });
  if (!support.supported) throw new UserError(support.message);

  const hostUid = options.runAs?.uid ?? process.getuid?.() ?? 0;
  if (options.runAs !== undefined) checkRunAs(options.runAs);
  const processLimit = await detectProcessLimit({ hostUid, cgroupParent: options.cgroupParent });
  if (processLimit.kind === 'none') onWarning(`Sandbox: ${processLimit.reason}`);
  if (processLimit.kind === 'cgroup') await sweepStaleCgroups(processLimit.parent);
  // Under runAs the launcher runs as that user, who cannot join root's cgroups.
  const memoryLimit: MemoryLimitStrategy =
    options.runAs === undefined
      ? await detectMemoryLimit({ cgroupParent: options.cgroupParent })
      : { kind: 'rlimit' };
  if (
    memoryLimit.kind === 'cgroup' &&
    (processLimit.kind !== 'cgroup' || memoryLimit.parent !== processLimit.parent)
  ) {
    await sweepStaleCgroups(memoryLimit.parent);
  }

  const layout = await describeHostLayout({
    extraReadOnlyPaths: options.extraReadOnlyPaths ?? [],
    execPath: process.execPath,
  });
  const env = buildSandboxEnv({
    parentEnv,
    allowlist,
    home: SANDBOX_IDENTITY.home,
    tmpdir: '/tmp',
    nodeBinDir: layout.nodeBinDir,
  });
  const sweep = await prepareWorkspaceSweep(workspace);
  const stageParent = await chooseStageParent(workspace, [os.tmpdir(), '/tmp', '/var/tmp']);
  await sweepStaleEtcStages(stageParent);
  const etc = planEtcStage({
    mounts: layout.mounts,
    etcTargets: new Set(ETC_ALLOWLIST.map((entry) => `/etc/${entry}`)),
    files: synthesizeEtcFiles(SANDBOX_IDENTITY),
    parentDir: stageParent,
  });

  const sandbox = createBubblewrapSandbox({
    bwrapPath: support.bwrapPath,
    workspace,
    policy,
    sweep,
    hostMounts: etc.mounts,
    etc,
    ...(workspaceMounts.length > 0 ? { workspaceMounts } : {}),
    env,
    limits,
    processLimit,
    memoryLimit,
    runAs: options.runAs,
    onWarning,
    ...(options.egress === undefined
      ? {}
      : {
          egress: {
            socketPath: options.egress.socketPath,
            nodePath: await realpath(process.execPath),
            ...(options.egress.noProxy ? { noProxy: options.egress.noProxy } : {}),
          },
        }),
  });

  // Namespaces work (checked above); this proves the full profile mounts on this host.
  const selfTest = await sandbox.run({
    argv: ['true'],
    cwd: workspace,
    timeoutMs: SELF_TEST_TIMEOUT_MS,
  });
  if (selfTest.exitCode !== 0) {
    await sandbox.close?.();
    throw new UserError(
      `The sandbox could not run a command in ${workspace}: ${selfTest.output.trim() || `exit ${selfTest.exitCode ?? selfTest.signal}`}` +
        (options.runAs !== undefined
          ? `. Check that uid ${options.runAs.uid} can read the workspace and the paths bound into the sandbox.`
          : '.'),
    );
  }
  return sandbox;
}

/**
 * Each mount's source a real directory; its target a real directory strictly inside the
 * workspace (no symlink leading out), so the mount cannot land anywhere else.
 */
async function checkWorkspaceMounts(
  workspace: string,
  mounts: readonly WorkspaceMount[],
): Promise<WorkspaceMount[]> {
  const checked: WorkspaceMount[] = [];
  for (const mount of mounts) {
    const source = await realpath(mount.source).catch(() => undefined);
    const target = await realpath(mount.target).catch(() => undefined);
    const inside = target === undefined ? '' : path.relative(workspace, target);
    if (
      source === undefined ||
      target === undefined ||
      !(await stat(source)).isDirectory() ||
      !(await stat(target)).isDirectory() ||
      inside === '' ||
      inside.startsWith('..') ||
      path.isAbsolute(inside)
    ) {
      throw new UserError(
        `Cannot show ${mount.source} at ${mount.target}: both must be directories, the second inside the workspace.`,
      );
    }
    checked.push({ source, target });
  }
  return checked;
}

async function resolveWorkspaceRoot(workspace: string): Promise<string> {
  const real = await realpath(workspace).catch(() => {
    throw new UserError(`The workspace ${workspace} does not exist.`);
  });
  if (!(await stat(real)).isDirectory()) {
    throw new UserError(`The workspace ${workspace} is not a directory.`);
  }
  if (real === '/') throw new UserError('The workspace cannot be the filesystem root.');
  return real;
}

function checkRunAs(runAs: { readonly uid: number; readonly gid: number }): void {
  if (process.getuid?.() !== 0) {
    throw new UserError('runAs needs Patchling to run as root; leave it unset otherwise.');
  }
  for (const id of [runAs.uid, runAs.gid]) {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new UserError(`runAs: uid and gid must be positive integers (not root), got ${id}.`);
    }
  }
}
