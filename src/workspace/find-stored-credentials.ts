import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Credentials a checkout keeps in its git config, which the model could read (`cat
 * .git/config` in the sandbox, or read_file): an `http.*.extraheader` (what
 * actions/checkout leaves with `persist-credentials`, the default) or a remote URL with
 * a user and password. Returns the first one found, or undefined for a clean checkout.
 */
export async function findStoredCredentials(
  workspace: string,
): Promise<StoredCredentials | undefined> {
  const config = await gitConfigPath(workspace);
  if (!config) return undefined;
  const text = await readFile(config, 'utf8').catch(() => '');
  let section = '';
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(trimmed);
    if (header) {
      const [, name = '', sub] = header;
      section = sub === undefined ? name.toLowerCase() : `${name.toLowerCase()}.${sub}`;
      continue;
    }
    const where = `${config}:${index + 1}`;
    if (/^extraheader\s*=/i.test(trimmed))
      return { key: `${section}.extraheader`, where, kind: 'http extraheader' };
    if (/^url\s*=\s*[a-z][a-z0-9+.-]*:\/\/[^/\s@]+:[^/\s@]*@/i.test(trimmed)) {
      return { key: `${section}.url`, where, kind: 'a remote URL with a password' };
    }
  }
  return undefined;
}

export interface StoredCredentials {
  /** The git config key, e.g. `http.https://github.com/.extraheader` or `remote.origin.url`. */
  readonly key: string;
  /** `FILE:LINE`. */
  readonly where: string;
  readonly kind: 'http extraheader' | 'a remote URL with a password';
}

/** .git/config, or a worktree's config through its `gitdir:` file. */
async function gitConfigPath(workspace: string): Promise<string | undefined> {
  const dotGit = path.join(workspace, '.git');
  const info = await stat(dotGit).catch(() => undefined);
  if (!info) return undefined;
  if (info.isDirectory()) return path.join(dotGit, 'config');
  const pointer = await readFile(dotGit, 'utf8').catch(() => '');
  const gitdir = /^gitdir:\s*(.+)$/m.exec(pointer)?.[1]?.trim();
  if (!gitdir) return undefined;
  const resolved = path.resolve(workspace, gitdir);
  // A linked worktree's own dir holds no config; the shared one is two levels up.
  const common = await readFile(path.join(resolved, 'commondir'), 'utf8').catch(() => undefined);
  return path.join(common ? path.resolve(resolved, common.trim()) : resolved, 'config');
}
