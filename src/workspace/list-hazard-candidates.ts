import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SystemError } from '../errors.js';
import { HFS_IGNORABLE_CODE_POINTS, withoutHfsIgnorable } from './hfs-ignorable.js';

const execFileAsync = promisify(execFile);

// Past this many entries the in-process walk stops and `find` takes over.
const IN_PROCESS_ENTRIES = 200;
const SET_ID_BITS = 0o6000;

/**
 * Paths under `root` that may be hazards (see find-workspace-hazards.ts): names that may
 * spell `.git` or are `HEAD`, FIFOs, sockets, devices, set-id files. No symlink is
 * followed, and no `.git` directory is walked into. Exact bytes: names need not be UTF-8.
 *
 * A small tree is walked in-process: spawning `find` from Node costs 3-5 ms, the whole
 * walk of a fresh scratch directory well under one, and this runs after every command. A
 * larger tree goes to `find` (C, d_type): a Node walk over a checkout with node_modules is
 * several times slower.
 */
export async function listHazardCandidates(root: string): Promise<Buffer[]> {
  return (await walkSmallTree(root)) ?? listWithFind(root);
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

/** The candidates, or undefined once the tree proves larger than IN_PROCESS_ENTRIES. */
async function walkSmallTree(root: string): Promise<Buffer[] | undefined> {
  const found: Buffer[] = [];
  const pending: Buffer[] = [Buffer.from(root)];
  let seen = 0;
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (isMissing(error)) continue;
      return undefined; // find walks what readdir could not (see above)
    }
    seen += entries.length;
    if (seen > IN_PROCESS_ENTRIES) return undefined;
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
          stats = await lstat(location);
        } catch (error) {
          if (isMissing(error)) continue;
          return undefined;
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
    '(',
    '-iname',
    '.git',
    '-type',
    'd',
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
    // find globs bytes under LC_ALL=C: each ignorable code point's UTF-8 bytes, literally.
    ...HFS_IGNORABLE_CODE_POINTS.flatMap((char) => ['-o', '-name', `*${char}*`]),
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
