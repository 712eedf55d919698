import { EGRESS_SOCKET_TARGET } from './egress-forwarder.js';

/** One read-only piece of the host shown inside the sandbox. */
export type HostMount =
  | { readonly kind: 'ro-bind'; readonly source: string; readonly target: string }
  /** Reproduces a host symlink (/bin -> usr/bin) instead of binding its target twice. */
  | { readonly kind: 'symlink'; readonly linkText: string; readonly target: string };

/** A read-only host directory shown at `target`, a real path inside the workspace. */
export interface WorkspaceMount {
  readonly source: string;
  readonly target: string;
}

export interface BubblewrapProfile {
  readonly policy: 'read-only' | 'workspace-write';
  /** Real path of the workspace; shown at the same path inside. */
  readonly workspace: string;
  /**
   * Repositories in the workspace, re-bound read-only over the writable workspace:
   * `<workspace>/.git` (a directory, or a worktree's gitdir file) and any nested ones.
   */
  readonly protectedPaths: readonly string[];
  /**
   * Host directories shown read-only at paths inside the workspace, over it (a scratch
   * copy's dependency trees, shared with the checkout it was copied from instead of copied).
   */
  readonly workspaceMounts?: readonly WorkspaceMount[];
  /** System directories, the node install, the /etc subset and extra read-only paths. */
  readonly hostMounts: readonly HostMount[];
  readonly uid: number;
  readonly gid: number;
  readonly hostname: string;
  readonly home: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly tmpfsSizeBytes: number;
  /** Host directory shown read-only as /etc: synthesized and allowlisted files (stage-etc-dir.ts). */
  readonly etcDir: string;
  /** Host path of the egress proxy's socket, bound read-only at EGRESS_SOCKET_TARGET. */
  readonly egressSocket?: string;
}

/**
 * The bubblewrap options for one command (the command itself follows a `--`). Pure, so the profile can be read and
 * tested in one place. Order matters: bwrap applies mounts in argument order, so host
 * paths and the workspace come after the private /tmp (they may live under /tmp), and
 * .git comes after the workspace.
 */
export function buildBubblewrapArgs(profile: BubblewrapProfile): string[] {
  const args: string[] = [
    // Namespaces: our own user (non-root inside), pids, network (not even the host's
    // loopback), IPC, hostname and cgroup view.
    '--unshare-user',
    '--uid',
    String(profile.uid),
    '--gid',
    String(profile.gid),
    // No nested user namespaces: they are the usual door to kernel privilege bugs.
    '--disable-userns',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--hostname',
    profile.hostname,
    '--unshare-cgroup-try',
    // If we die, the sandbox dies; no controlling terminal to push keystrokes into.
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
  ];

  const size = String(profile.tmpfsSizeBytes);
  args.push(
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--size',
    size,
    '--tmpfs',
    '/tmp',
    '--size',
    size,
    '--tmpfs',
    '/dev/shm',
    '--size',
    size,
    '--tmpfs',
    profile.home,
    '--symlink',
    '/tmp',
    '/var/tmp',
    // /etc as one staged directory (stage-etc-dir.ts): bwrap re-reads its mount table per bind.
    '--ro-bind',
    profile.etcDir,
    '/etc',
  );

  // After the tmpfs mounts, so an extra path under /tmp is not hidden by the private /tmp.
  for (const mount of profile.hostMounts) {
    if (mount.kind === 'ro-bind') args.push('--ro-bind', mount.source, mount.target);
    else args.push('--symlink', mount.linkText, mount.target);
  }
  // The only way out of the network namespace: a socket file, to Patchling's proxy.
  if (profile.egressSocket !== undefined) {
    args.push('--ro-bind', profile.egressSocket, EGRESS_SOCKET_TARGET);
  }

  if (profile.policy === 'workspace-write') {
    args.push('--bind', profile.workspace, profile.workspace);
    // The orchestrator alone commits: no hooks, config or refs written from inside.
    for (const protectedPath of profile.protectedPaths) {
      args.push('--ro-bind', protectedPath, protectedPath);
    }
  } else {
    args.push('--ro-bind', profile.workspace, profile.workspace);
  }
  // After the workspace, so they lie over it; read-only whatever the policy.
  for (const mount of profile.workspaceMounts ?? []) {
    args.push('--ro-bind', mount.source, mount.target);
  }

  // The root itself is a tmpfs bwrap made, and so is /dev (--dev takes no --size): read-only,
  // neither can be filled to eat RAM. Device nodes still work on a read-only mount, and
  // /dev/shm and /dev/pts are mounts of their own.
  args.push('--remount-ro', '/dev', '--remount-ro', '/', '--chdir', profile.cwd, '--clearenv');
  for (const [name, value] of Object.entries(profile.env)) args.push('--setenv', name, value);
  return args;
}
