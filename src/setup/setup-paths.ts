import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '../workspace/git/run-git.js';

/**
 * The paths of a checkout that git does not track, ignored ones included, as git lists
 * them: a directory whose contents are all untracked is one entry (`node_modules/`).
 * Compared before and after setup, they are what setup created.
 */
export async function listUntracked(workspace: string, signal?: AbortSignal): Promise<string[]> {
  const output = await runGit({ dir: workspace, signal }, 'Listing untracked files', (git) =>
    git.raw([
      'status',
      '--porcelain=v1',
      '-z',
      '--ignored=traditional',
      '--untracked-files=normal',
    ]),
  );
  return output
    .split('\0')
    .filter((entry) => entry.startsWith('?? ') || entry.startsWith('!! '))
    .map((entry) => entry.slice(3).replace(/\/$/, ''))
    .filter((entry) => entry !== '' && entry !== '.git' && !entry.startsWith('.git/'));
}

/**
 * Adds paths to `.git/info/exclude`, so what setup installed is neither part of a fix's
 * diff nor walked by git (a package's nested .git, say). Anchored and escaped: each line
 * matches exactly its one path.
 */
export async function excludeFromGit(workspace: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const file = (
    await runGit({ dir: workspace }, 'Finding the exclude file', (git) =>
      git.raw(['rev-parse', '--path-format=absolute', '--git-path', 'info/exclude']),
    )
  ).trim();
  const existing = await readFile(file, 'utf8').catch(() => '');
  const present = new Set(existing.split('\n'));
  const lines = paths.map((entry) => `/${entry.replace(/[\\*?[\]!#\s]/g, '\\$&')}`);
  const added = lines.filter((line) => !present.has(line));
  if (added.length === 0) return;
  await mkdir(path.dirname(file), { recursive: true });
  const lead = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${lead}# patchling setup\n${added.join('\n')}\n`);
}
