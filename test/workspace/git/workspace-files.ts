import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Every regular file under `dir`, `.git` included, as paths relative to `dir`. */
export async function listAllFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** The files under `dir` whose bytes contain any of `needles`. */
export async function filesContaining(dir: string, needles: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await listAllFiles(dir)) {
    const bytes = await readFile(path.join(dir, file));
    if (needles.some((needle) => bytes.includes(needle))) hits.push(file);
  }
  return hits;
}
