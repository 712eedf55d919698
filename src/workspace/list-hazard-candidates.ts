import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SystemError } from '../errors.js';

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

function isCandidateName(name: string): boolean {
  return /git/i.test(name) || name.includes('~1') || name === 'HEAD';
}

/** The candidates, or undefined once the tree proves larger than IN_PROCESS_ENTRIES. */
async function walkSmallTree(root: string): Promise<Buffer[] | undefined> {
  const found: Buffer[] = [];
  const pending: Buffer[] = [Buffer.from(root)];
  let seen = 0;
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' }).catch(() => []);
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
        const stats = await lstat(location).catch(() => undefined);
        if (stats !== undefined && (stats.mode & SET_ID_BITS) !== 0) found.push(location);
      }
      if (entry.isDirectory()) pending.push(location);
    }
  }
  return found;
}

async function listWithFind(root: string): Promise<Buffer[]> {
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
    // find exits 1 when some directory could not be read; what it did list still counts.
    const stdout = (error as { stdout?: Buffer }).stdout;
    if (stdout !== undefined && (error as { code?: unknown }).code === 1) return splitNul(stdout);
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
