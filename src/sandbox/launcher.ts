/**
 * The few lines of POSIX sh that run before bwrap (or before the command, without bwrap).
 * Node cannot set rlimits or join a cgroup between fork and exec, and these must be in
 * place before the first process of the command exists. Fixed text; every variable part
 * arrives as a positional argument, so nothing is ever spliced into shell source.
 *
 *   $1 RLIMIT_FSIZE in 512-byte blocks (POSIX sh units; bash as sh uses them too)
 *   $2 RLIMIT_NPROC
 *   $3 RLIMIT_AS in KiB, or "-"
 *   $4 how many cgroup.procs files follow, to join (one per v1 hierarchy)
 *   then those files, then the command
 */
export const LAUNCHER_SCRIPT = [
  // One stream, in arrival order, bwrap's own errors included.
  'exec 2>&1',
  'ulimit -c 0',
  // Raising a limit above the host's hard limit fails: say so rather than run unlimited.
  'ulimit -f "$1" || { echo "patchling: cannot set the file size limit to $1 blocks" >&2; exit 125; }',
  // bash spells the process limit -u, dash -p.
  '{ ulimit -u "$2" 2>/dev/null || ulimit -p "$2"; } || { echo "patchling: cannot set the process limit to $2" >&2; exit 125; }',
  'if [ "$3" != - ]; then ulimit -v "$3" || { echo "patchling: cannot set the memory limit to $3 KiB" >&2; exit 125; }; fi',
  'n=$4',
  'shift 4',
  'while [ "$n" -gt 0 ]; do',
  '  echo $$ >"$1" || { echo "patchling: could not join the cgroup $1" >&2; exit 125; }',
  '  shift',
  '  n=$((n - 1))',
  'done',
  'exec "$@"',
].join('\n');

export const LAUNCHER_SHELL = '/bin/sh';

export interface LauncherOptions {
  readonly maxFileSizeBytes: number;
  readonly maxProcesses: number;
  /** RLIMIT_AS; absent when a memory cgroup holds the limit instead. */
  readonly maxAddressSpaceBytes?: number;
  readonly cgroupProcsFiles?: readonly string[];
  readonly command: readonly string[];
}

/** argv for LAUNCHER_SHELL. */
export function buildLauncherArgs(options: LauncherOptions): string[] {
  const blocks = Math.max(1, Math.ceil(options.maxFileSizeBytes / 512));
  return [
    '-c',
    LAUNCHER_SCRIPT,
    'patchling-launcher',
    String(blocks),
    String(options.maxProcesses),
    options.maxAddressSpaceBytes === undefined
      ? '-'
      : String(Math.ceil(options.maxAddressSpaceBytes / 1024)),
    String(options.cgroupProcsFiles?.length ?? 0),
    ...(options.cgroupProcsFiles ?? []),
    ...options.command,
  ];
}
