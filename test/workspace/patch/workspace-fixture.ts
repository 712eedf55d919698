import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A temp directory holding `files` (path → content); remove it with `rm` when done. */
export async function makeWorkspace(files: Readonly<Record<string, string | Buffer>> = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'patchling-patch-'));
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return root;
}

export async function removeWorkspace(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/**
 * Every entry under `root`: files as their text, symlinks as `-> target`, empty
 * directories as `<dir>`. Comparing snapshots proves nothing else changed, including
 * that no temporary file was left behind.
 */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  async function walk(directory: string): Promise<void> {
    const entries = await readdir(directory);
    if (entries.length === 0 && directory !== root) {
      result[path.relative(root, directory)] = '<dir>';
    }
    for (const entry of entries.sort()) {
      const absolute = path.join(directory, entry);
      const stats = await lstat(absolute);
      const relative = path.relative(root, absolute);
      if (stats.isSymbolicLink()) result[relative] = `-> ${await readlink(absolute)}`;
      else if (stats.isDirectory()) await walk(absolute);
      else result[relative] = await readFile(absolute, 'utf8');
    }
  }
  await walk(root);
  return result;
}

/** Joins lines into a patch body, so tests read like the patches models send. */
export function patch(...lines: string[]): string {
  return ['*** Begin Patch', ...lines, '*** End Patch'].join('\n');
}
