import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { isInside } from '../workspace/resolve-workspace-path.js';
import type { HostMount } from './bubblewrap-args.js';

/** System directories shown read-only; absent ones are skipped, symlinks reproduced. */
export const SYSTEM_DIRS: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
  '/usr/local',
];

/**
 * The part of /etc a sandbox gets. An allowlist, because as host root with uid 1000 mapped
 * to 0 every root-owned file appears owned by the sandbox user: mode bits protect nothing,
 * so /etc/shadow, /etc/ssh (host keys), /etc/ssl/private, /etc/npmrc and the like are
 * kept out by never being bound. passwd, group and hosts are synthesized (etc-files.ts).
 */
export const ETC_ALLOWLIST: readonly string[] = [
  // Each bind costs bwrap ~0.2 ms per command: only what programs read at run time.
  'alternatives', // Debian's /usr/bin/awk, editor, java... are links through here
  'ld.so.cache', // without it the loader misses multiarch library dirs
  'ssl/certs',
  'pki/tls/certs',
  'pki/ca-trust/extracted',
  'localtime',
  'timezone',
  'nsswitch.conf',
  'protocols', // getprotobyname("tcp"), even for a test server on loopback
  'services',
  'os-release',
  'lsb-release',
];

// Paths an extra read-only bind may never be or contain: they would undo the profile.
const FORBIDDEN_EXTRA = ['/', '/etc', '/proc', '/sys', '/dev', '/run', '/var/run', '/root'];
const SENSITIVE_EXTRA = [
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/ssh',
  '/etc/ssl/private',
  '/etc/sudoers',
];

export interface HostLayoutOptions {
  readonly extraReadOnlyPaths: readonly string[];
  /** process.execPath: its install tree is bound so `node` runs inside. */
  readonly execPath: string;
  /** Where /etc lives; tests point it elsewhere. */
  readonly etcDir?: string;
}

export interface HostLayout {
  readonly mounts: readonly HostMount[];
  /** Directory of the real node binary, for PATH. */
  readonly nodeBinDir: string;
}

/** Looks at the host once and lists what the sandbox will show of it. */
export async function describeHostLayout(options: HostLayoutOptions): Promise<HostLayout> {
  const mounts: HostMount[] = [];
  const bound: string[] = [];
  const covered = (target: string): boolean => bound.some((dir) => isInside(dir, target));

  const add = async (target: string): Promise<void> => {
    if (covered(target)) return;
    const stats = await lstat(target).catch(() => undefined);
    if (stats === undefined) return;
    if (stats.isSymbolicLink()) {
      const linkText = await readlink(target);
      const real = await realpath(target).catch(() => undefined);
      if (real === undefined) return; // dangling on the host: nothing to show
      if (covered(real)) {
        mounts.push({ kind: 'symlink', linkText, target });
        return;
      }
      mounts.push({ kind: 'ro-bind', source: real, target });
    } else {
      mounts.push({ kind: 'ro-bind', source: target, target });
    }
    bound.push(target);
  };

  for (const dir of SYSTEM_DIRS) await add(dir);

  const realNode = await realpath(options.execPath);
  const nodeBinDir = path.dirname(realNode);
  await add(await nodeInstallRoot(nodeBinDir));

  const etcDir = options.etcDir ?? '/etc';
  for (const entry of ETC_ALLOWLIST) await addEtc(path.join(etcDir, entry), `/etc/${entry}`);

  for (const extra of options.extraReadOnlyPaths) {
    const real = await checkExtraPath(extra);
    if (!covered(extra)) {
      mounts.push({ kind: 'ro-bind', source: real, target: path.resolve(extra) });
      bound.push(path.resolve(extra));
    }
  }
  return { mounts, nodeBinDir };

  async function addEtc(source: string, target: string): Promise<void> {
    const stats = await lstat(source).catch(() => undefined);
    if (stats === undefined) return;
    if (stats.isSymbolicLink()) {
      const real = await realpath(source).catch(() => undefined);
      if (real === undefined) return;
      // /etc/localtime -> /usr/share/zoneinfo/...: keep the link, tools read its name.
      if (covered(real)) {
        mounts.push({ kind: 'symlink', linkText: await readlink(source), target });
        return;
      }
      // A link to elsewhere in /etc: bind what it points to, never the rest of /etc.
      if (!isAllowedEtcTarget(real, etcDir)) return;
      mounts.push({ kind: 'ro-bind', source: real, target });
      return;
    }
    mounts.push({ kind: 'ro-bind', source, target });
  }
}

function isAllowedEtcTarget(real: string, etcDir: string): boolean {
  if (!isInside(etcDir, real)) return true;
  return ETC_ALLOWLIST.some((entry) => isInside(path.join(etcDir, entry), real));
}

async function checkExtraPath(extra: string): Promise<string> {
  if (!path.isAbsolute(extra)) {
    throw new UserError(`extraReadOnlyPaths: ${JSON.stringify(extra)} must be an absolute path.`);
  }
  const real = await realpath(extra).catch(() => {
    throw new UserError(`extraReadOnlyPaths: ${extra} does not exist.`);
  });
  for (const candidate of [path.resolve(extra), real]) {
    if (FORBIDDEN_EXTRA.includes(candidate)) {
      throw new UserError(`extraReadOnlyPaths: ${extra} would expose too much of the host.`);
    }
    if (
      SENSITIVE_EXTRA.some((secret) => isInside(candidate, secret) || isInside(secret, candidate))
    ) {
      throw new UserError(`extraReadOnlyPaths: ${extra} would expose host secrets.`);
    }
  }
  return real;
}

/**
 * What to show of node's installation: for <prefix>/bin/node the whole prefix, so node
 * finds its lib/ and bundled npm, but only when the prefix looks like a node install
 * (lib/node_modules/npm or include/node). A node at ~/bin/node or /srv/app/bin/node must
 * not bring the home directory or the app (its .env, keys, state) into the sandbox.
 */
export async function nodeInstallRoot(nodeBinDir: string): Promise<string> {
  if (path.basename(nodeBinDir) !== 'bin') return nodeBinDir;
  const prefix = path.dirname(nodeBinDir);
  if (prefix === '/') return nodeBinDir;
  for (const marker of ['lib/node_modules/npm', 'include/node']) {
    const found = await stat(path.join(prefix, marker)).catch(() => undefined);
    if (found?.isDirectory()) return prefix;
  }
  return nodeBinDir;
}
