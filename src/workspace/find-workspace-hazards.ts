import { lstatSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { withoutHfsIgnorable } from './hfs-ignorable.js';
import { listHazardCandidates } from './list-hazard-candidates.js';
import type { WalkHint } from './list-hazard-candidates.js';

/**
 * Something in a workspace that a host process could act on once the sandbox is gone:
 * - repository: a `.git` (directory, gitdir file or symlink, any case spelling) other than
 *   the workspace's own, or a directory shaped like a bare repository (HEAD, objects/,
 *   refs/), which git discovers on its own. Its config, hooks and filters run host code
 *   when git touches the tree (fsmonitor, clean/smudge filters, pager, hooks).
 * - special: a FIFO (a blocking open hangs the reader), a socket, or a device node.
 * - set-id: a set-uid or set-gid file, owned by the host user that ran the sandbox.
 * - unreachable: a candidate the host cannot inspect by path (a path longer than PATH_MAX,
 *   which the command can make by nesting directories: lstat fails with ENAMETOOLONG).
 *   `location` is the entry whose name first crosses the limit: the whole subtree goes.
 */
export type WorkspaceHazard = HazardKind & {
  /** For messages (UTF-8, invalid bytes replaced). */
  readonly path: string;
  /** The exact bytes of the path, for acting on it: names need not be valid UTF-8. */
  readonly location: Buffer;
  /** Device and inode. */
  readonly id: string;
};

type HazardKind =
  | { readonly kind: 'repository' }
  | { readonly kind: 'special'; readonly type: 'fifo' | 'socket' | 'device' }
  | { readonly kind: 'set-id'; readonly mode: number }
  | { readonly kind: 'unreachable'; readonly parent: Buffer; readonly name: Buffer };

/** Longest path the kernel takes (PATH_MAX, 4096, counts the terminating NUL). */
const PATH_MAX = 4096;

const SET_ID_BITS = 0o6000;

/**
 * true for every spelling some filesystem reads as `.git`: any case (macOS, Windows),
 * HFS+ ignorable code points, NTFS trailing dots and spaces, and the 8.3 short name `git~1`.
 */
export function isGitDirName(name: string): boolean {
  const folded = withoutHfsIgnorable(name)
    .toLowerCase()
    .replace(/[. ]+$/, '');
  return folded === '.git' || folded === 'git~1';
}

/**
 * Lists the hazards under `root` (the workspace's real path). Hazards whose `id` (device
 * and inode) is in `known` were there before (the workspace's own `.git`, a user's nested
 * clones) and are left out; the workspace's own `.git` is a hazard like any other when it
 * is not known (a command made one in a workspace that had none).
 *
 * The walk (list-hazard-candidates.ts) only returns candidates; each is checked with lstat here,
 * synchronously: ~2 µs a call against ~10-50 µs through libuv's thread pool, and a sweep runs
 * after every command.
 */
export async function findWorkspaceHazards(
  root: string,
  options: { readonly known?: ReadonlySet<string>; readonly hint?: WalkHint } = {},
): Promise<WorkspaceHazard[]> {
  const hazards: WorkspaceHazard[] = [];
  const repositories: Buffer[] = [];
  const add = (location: Buffer, id: string, hazard: HazardKind): void => {
    hazards.push({ ...hazard, location, id, path: location.toString('utf8') });
  };
  const rootBytes = Buffer.from(root);
  for (const candidate of await listHazardCandidates(root, options.hint)) {
    let stats: Stats;
    try {
      stats = lstatSync(candidate);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') continue;
      // Fail closed: what cannot be inspected is removed, from where it can be reached.
      const unreachable = unreachableEntry(rootBytes, candidate);
      if (unreachable === undefined) throw error;
      const key = `path:${Buffer.concat([unreachable.parent, Buffer.from('/'), unreachable.name]).toString('hex')}`;
      if (options.known?.has(key) || hazards.some((hazard) => hazard.id === key)) continue;
      add(Buffer.concat([unreachable.parent, Buffer.from('/'), unreachable.name]), key, {
        kind: 'unreachable',
        ...unreachable,
      });
      continue;
    }
    const id = inodeId(stats);
    if (options.known?.has(id)) continue;
    const slash = candidate.lastIndexOf(SLASH);
    const name = candidate.subarray(slash + 1).toString('utf8');
    const dir = candidate.subarray(0, slash);
    if (isGitDirName(name)) {
      repositories.push(candidate);
      add(candidate, id, { kind: 'repository' });
    } else if (
      // git's is_git_directory (setup.c): HEAD a file or a symlink, objects and refs of any
      // type, or a commondir file pointing elsewhere; a gitdir file marks a worktree's.
      (name === 'HEAD' &&
        (stats.isFile() || stats.isSymbolicLink()) &&
        isBareRepositoryShape(dir)) ||
      ((name === 'commondir' || name === 'gitdir') && (stats.isFile() || stats.isSymbolicLink()))
    ) {
      if (dir.equals(rootBytes)) continue;
      const dirId = inodeId(lstatSync(dir));
      if (options.known?.has(dirId) || repositories.some((repo) => repo.equals(dir))) continue;
      repositories.push(dir);
      add(dir, dirId, { kind: 'repository' });
    } else if (stats.isFIFO()) {
      add(candidate, id, { kind: 'special', type: 'fifo' });
    } else if (stats.isSocket()) {
      add(candidate, id, { kind: 'special', type: 'socket' });
    } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
      add(candidate, id, { kind: 'special', type: 'device' });
    } else if ((stats.mode & SET_ID_BITS) !== 0 && !stats.isSymbolicLink()) {
      add(candidate, id, { kind: 'set-id', mode: stats.mode & 0o7777 });
    }
  }
  // Anything inside a repository goes with it.
  return hazards.filter((hazard) => !repositories.some((repo) => isBelow(repo, hazard.location)));
}

const SLASH = 0x2f;

function isBelow(dir: Buffer, location: Buffer): boolean {
  return (
    location.length > dir.length + 1 &&
    location[dir.length] === SLASH &&
    location.subarray(0, dir.length).equals(dir)
  );
}

/** The device and inode of a file: what identifies it whatever it is renamed to. */
export function inodeId(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/** objects and refs exist, whatever their type (git only needs them accessible). */
function isBareRepositoryShape(dir: Buffer): boolean {
  const exists = (name: string): boolean =>
    lstatSync(Buffer.concat([dir, Buffer.from(name)]), { throwIfNoEntry: false }) !== undefined;
  try {
    return exists('/objects') && exists('/refs');
  } catch {
    return false;
  }
}

/**
 * For a candidate lstat could not inspect: the deepest directory below `root` whose path
 * is still addressable (shorter than PATH_MAX) and the name of its child on the way to the
 * candidate. undefined when the candidate's path is short: its error is not about length.
 */
function unreachableEntry(
  root: Buffer,
  candidate: Buffer,
): { parent: Buffer; name: Buffer } | undefined {
  if (candidate.length < PATH_MAX) return undefined;
  let parent = root;
  for (;;) {
    const next = candidate.indexOf(SLASH, parent.length + 1);
    const end = next === -1 ? candidate.length : next;
    if (end >= PATH_MAX - 1) {
      return { parent, name: candidate.subarray(parent.length + 1, end) };
    }
    parent = candidate.subarray(0, end);
  }
}
