import { execFile } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { promisify } from 'node:util';
import { SystemError } from '../errors.js';
import { withoutHfsIgnorable } from './hfs-ignorable.js';

const execFileAsync = promisify(execFile);

/**
 * Past this many entries the in-process walk stops and `find` takes over. The walk is
 * synchronous: readdirSync/lstatSync cost ~3 µs an entry, where each promise-based call
 * goes through libuv's thread pool for ~10x that, and spawning `find` costs 3-5 ms before
 * it reads anything. 2,000 entries block the event loop for a few ms at most, less than
 * find would have cost (docs/sandbox.md, "Startup cost").
 */
export const IN_PROCESS_ENTRIES = 2000;
const SET_ID_BITS = 0o6000;

/**
 * What a caller that scans the same tree again and again (the sandbox's sweep, after every
 * command) remembers between scans: once a tree proved too large for the in-process walk,
 * the next scans go straight to `find` instead of walking 2,000 entries first (for as long
 * as the caller keeps the hint: a tree that shrinks back keeps using find, which is only
 * slower). Either way the whole tree is scanned; the hint only picks the cheaper walker.
 */
export interface WalkHint {
  large: boolean;
}

/**
 * Paths under `root` that may be hazards (see find-workspace-hazards.ts): names that may
 * spell `.git` or are `HEAD`, FIFOs, sockets, devices, set-id files. No symlink is
 * followed, and no `.git` directory is walked into. Exact bytes: names need not be UTF-8.
 *
 * A tree of up to IN_PROCESS_ENTRIES is walked in-process, a larger one by `find` (C,
 * d_type): this runs after every command.
 */
export async function listHazardCandidates(root: string, hint?: WalkHint): Promise<Buffer[]> {
  if (hint?.large === true) return listWithFind(root);
  const walked = walkSmallTree(root);
  if (walked === 'large' && hint !== undefined) hint.large = true;
  return walked === 'large' || walked === 'failed' ? listWithFind(root) : walked;
}

/**
 * Fail closed: the sweep may never skip what it could not look at. The in-process walk
 * hands any error but ENOENT (ENAMETOOLONG past PATH_MAX, EACCES on a directory the
 * command made 0000, ELOOP...) to `find`, which walks relative to each directory (so
 * paths longer than PATH_MAX are still listed; find-workspace-hazards.ts deals with them)
 * and, when it cannot read a directory, gets `chmod -R u+rwX` once and then must succeed.
 */
function isCandidateName(name: string): boolean {
  return (
    /git/i.test(withoutHfsIgnorable(name)) ||
    name.includes('~1') ||
    name === 'HEAD' ||
    name === 'commondir'
  );
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ENOENT';
}

/**
 * The candidates; 'large' once the tree proves larger than IN_PROCESS_ENTRIES; 'failed' on
 * any error but ENOENT, for find to walk what this could not (see above).
 */
function walkSmallTree(root: string): Buffer[] | 'large' | 'failed' {
  const found: Buffer[] = [];
  const pending: Buffer[] = [Buffer.from(root)];
  let seen = 0;
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (isMissing(error)) continue;
      return 'failed';
    }
    seen += entries.length;
    if (seen > IN_PROCESS_ENTRIES) return 'large';
    for (const entry of entries) {
      const location = Buffer.concat([dir, Buffer.from('/'), entry.name]);
      const name = entry.name.toString('utf8');
      if (entry.isDirectory() && name.toLowerCase() === '.git') {
        found.push(location); // reported, not walked, as `find -prune` does
        continue;
      }
      if (
        isCandidateName(name) ||
        entry.isFIFO() ||
        entry.isSocket() ||
        entry.isBlockDevice() ||
        entry.isCharacterDevice()
      ) {
        found.push(location);
      } else if (entry.isFile() || entry.isDirectory()) {
        let stats;
        try {
          stats = lstatSync(location);
        } catch (error) {
          if (isMissing(error)) continue;
          return 'failed';
        }
        if ((stats.mode & SET_ID_BITS) !== 0) found.push(location);
      }
      if (entry.isDirectory()) pending.push(location);
    }
  }
  return found;
}

async function listWithFind(root: string): Promise<Buffer[]> {
  const listed = await runFind(root);
  if (listed !== undefined) return listed;
  // A directory find could not read (a command's chmod 000): make it readable, once.
  await execFileAsync('chmod', ['-R', 'u+rwX', '--', root], {
    env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' },
  }).catch(() => undefined);
  const again = await runFind(root);
  if (again !== undefined) return again;
  throw new SystemError(`Could not scan the workspace ${root}: some directories cannot be read`);
}

/** The candidates, or undefined when find could not read some directory (exit 1). */
async function runFind(root: string): Promise<Buffer[] | undefined> {
  const args = [
    root,
    // Every `.git` directory is reported and not walked (its objects are not ours to check;
    // a nested one is removed whole). Other spellings (`.GIT`, `git~1`) are filtered in Node.
    // Cheapest tests first: -type reads the directory entry's d_type, no stat, so only
    // directories pay for the case-folded name match.
    '(',
    '-type',
    'd',
    '-iname',
    '.git',
    '-prune',
    '-print0',
    ')',
    '-o',
    '(',
    '-iname',
    '*git*',
    '-o',
    '-name',
    '*~1*',
    '-o',
    '-name',
    'HEAD',
    '-o',
    '-name',
    'commondir',
    // A name that spells git only once HFS+ ignorable code points are left out (`.g\u200cit`):
    // g, i, t in order, in any case, and some byte outside printable ASCII, which every
    // ignorable code point's UTF-8 has (find globs bytes under LC_ALL=C). A superset, checked
    // exactly in Node (isGitDirName); two globs instead of one per code point, which doubled
    // find's time on a tree of 20,000 files.
    '-o',
    '(',
    '-name',
    '*[! -~]*',
    '-iname',
    '*g*i*t*',
    ')',
    '-o',
    '-type',
    'p',
    '-o',
    '-type',
    's',
    '-o',
    '-type',
    'b',
    '-o',
    '-type',
    'c',
    '-o',
    '-perm',
    '/6000',
    ')',
    '-print0',
  ];
  try {
    const { stdout } = await execFileAsync('find', args, {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
      env: { LC_ALL: 'C' },
    });
    return splitNul(stdout);
  } catch (error) {
    // find exits 1 when some directory could not be read, or a file vanished meanwhile:
    // never accepted as a complete list.
    if ((error as { code?: unknown }).code === 1) return undefined;
    throw new SystemError(`Could not scan the workspace ${root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function splitNul(buffer: Buffer): Buffer[] {
  const entries: Buffer[] = [];
  let start = 0;
  for (let end = buffer.indexOf(0); end !== -1; end = buffer.indexOf(0, start)) {
    if (end > start) entries.push(buffer.subarray(start, end));
    start = end + 1;
  }
  return entries;
}
