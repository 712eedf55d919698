import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TempGitRepo {
  /** Real (symlink-free) absolute path of the checkout. */
  readonly dir: string;
  /** Removes the checkout; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * A fresh git repository in a temp directory, holding `files` in one commit. Identity and
 * signing are set per command (-c), so neither the host's git config nor its absence matters.
 */
export async function makeGitRepo(
  files: Readonly<Record<string, string>>,
  prefix = 'patchling-repo-',
): Promise<TempGitRepo> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
  const git = (...args: string[]) =>
    run(
      'git',
      [
        '-c',
        'user.name=Patchling Test',
        '-c',
        'user.email=test@patchling.invalid',
        '-c',
        'commit.gpgsign=false',
        '-c',
        'init.defaultBranch=main',
        ...args,
      ],
      { cwd: dir },
    );
  try {
    await git('init', '-q');
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    await git('add', '-A');
    await git('commit', '-q', '--allow-empty', '-m', 'initial');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The small failing-test repository most exec scenarios start from. */
export const SUM_REPO_FILES: Readonly<Record<string, string>> = {
  'package.json': '{ "type": "module" }\n',
  'sum.js': 'export const sum = (a, b) => a - b;\n',
  'test.js':
    "import { sum } from './sum.js';\n" +
    "if (sum(2, 3) !== 5) { console.error('FAIL: sum(2, 3) = ' + sum(2, 3)); process.exit(1); }\n" +
    "console.log('PASS');\n",
};

/** The fix for SUM_REPO_FILES, as an apply_patch input. */
export const SUM_FIX_PATCH =
  '*** Begin Patch\n*** Update File: sum.js\n@@\n-export const sum = (a, b) => a - b;\n+export const sum = (a, b) => a + b;\n*** End Patch';

export const SUM_FIXED = 'export const sum = (a, b) => a + b;\n';
