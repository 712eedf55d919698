/**
 * What the rest of Patchling knows about running a command. The bubblewrap backend
 * implements it; another backend (a container, a VM) could too.
 */

/**
 * - read-only: nothing on disk may be written (a private /tmp aside).
 * - workspace-write: the workspace may be written, but not its .git; nothing else.
 * - danger-full-access: no sandbox at all, for hosts that are already throwaway VMs. Explicit opt-in only.
 */
export type SandboxPolicy = 'read-only' | 'workspace-write' | 'danger-full-access';

export const SANDBOX_POLICIES: readonly SandboxPolicy[] = [
  'read-only',
  'workspace-write',
  'danger-full-access',
];

export interface CommandRequest {
  /** argv; a shell command is ['bash', '-c', script]. */
  readonly argv: readonly string[];
  /** Absolute path inside the workspace (or the workspace itself). */
  readonly cwd: string;
  /** Wall-clock limit; the whole process group is killed when it passes. */
  readonly timeoutMs: number;
  /** Extra variables, on top of the allowlisted environment. Never secrets. */
  readonly env?: Readonly<Record<string, string>>;
  /** Aborting kills the command as a timeout would. */
  readonly signal?: AbortSignal;
  /** Bytes written to the command's stdin, then closed. Default: stdin is /dev/null. */
  readonly stdin?: string;
}

export interface CommandResult {
  /** Exit code, or null when the process was killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
  /** stdout and stderr interleaved in arrival order, capped (head and tail kept, the cut said). */
  readonly output: string;
  /** Bytes the command printed in all, including what the cap dropped. */
  readonly totalOutputBytes: number;
  readonly outputTruncated: boolean;
  /** true when the command was killed for printing more than the total output limit. */
  readonly outputLimitExceeded?: boolean;
  /** true when the OOM killer killed inside the command's memory cgroup (maxMemoryBytes). */
  readonly memoryLimitExceeded?: boolean;
  /**
   * What the command left in the workspace that Patchling removed or defused afterwards
   * (nested repositories, FIFOs, set-id bits), one sentence each, for the model.
   */
  readonly neutralised?: readonly string[];
}

/** Resource limits applied to every command of a sandbox. */
export interface SandboxLimits {
  /** Processes and threads alive at once; a fork bomb stops here (see docs/sandbox.md for root). */
  readonly maxProcesses: number;
  /** Largest file a command may write (RLIMIT_FSIZE); the writer gets SIGXFSZ. */
  readonly maxFileSizeBytes: number;
  /** Output kept in memory per command: head and tail, the middle cut. */
  readonly maxOutputBytes: number;
  /** Output beyond this kills the command: an endless `yes` should not run to its timeout. */
  readonly maxTotalOutputBytes: number;
  /** Size of each private tmpfs (/tmp, HOME, /dev/shm): RAM a command can fill with files. */
  readonly tmpfsSizeBytes: number;
  /**
   * Memory of a command (memory cgroup, shared by a sandbox's concurrent commands), or its
   * address space (RLIMIT_AS) where no memory cgroup can be made. See memory-limit.ts.
   */
  readonly maxMemoryBytes: number;
}

export interface Sandbox {
  readonly policy: SandboxPolicy;
  /** The host path of the workspace this sandbox exposes. */
  readonly workspace: string;
  run(request: CommandRequest): Promise<CommandResult>;
  /**
   * Releases what the sandbox holds on the host (its cgroups, its staged /etc). Optional:
   * an idle sandbox retires its cgroups after a moment, and the next createSandbox sweeps
   * what a dead process left; call it when a job ends to remove the rest.
   */
  close?(): Promise<void>;
}
