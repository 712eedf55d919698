import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recheckReproduction } from '../../../src/jobs/scan/recheck-reproduction.js';
import type { Reproduction } from '../../../src/jobs/scan/scan-finding.js';
import { diffAgainst } from '../../../src/workspace/git/diff-against.js';
import { makeGitRepo, type TempGitRepo } from '../../support/git-repo.js';

/** The planted command injection: the name goes through eval. */
const VULNERABLE = '#!/bin/bash\nset -u\nname="$1"\neval "ls -- projects/$name"\n';
const FIXED = '#!/bin/bash\nset -u\nname="$1"\nls -- "projects/$name"\n';
const REPRO =
  'bash backup.sh "x; touch pwned" >/dev/null 2>&1\ntest -f pwned && echo "injected command ran"\n';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function repo(files: Record<string, string>): Promise<TempGitRepo> {
  const made = await makeGitRepo(files, 'patchling-recheck-');
  cleanup.push(() => made.remove());
  return made;
}

/** A copy of `from` with `file` rewritten: the tree a fix left. */
async function fixedCopy(from: string, file: string, content: string): Promise<string> {
  const parent = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-fixed-')));
  cleanup.push(() => rm(parent, { recursive: true, force: true }));
  const dir = path.join(parent, 'fixed');
  await cp(from, dir, { recursive: true });
  await writeFile(path.join(dir, file), content);
  return dir;
}

/** The reproduction as the prover leaves it: its files as a patch on the checkout. */
async function reproductionOf(
  dir: string,
  files: Record<string, string>,
  command = 'bash repro.sh',
): Promise<Reproduction> {
  // A copy of the checkout with the files written, as the prover's scratch copy.
  const scratch = await fixedCopy(dir, 'README.md', 'shop\n');
  for (const [file, content] of Object.entries(files))
    await writeFile(path.join(scratch, file), content);
  return {
    command,
    description: 'Passes `x; touch pwned` as the name.',
    exitCode: 0,
    output: 'injected command ran\n',
    outputTruncated: false,
    patch: await diffAgainst({ dir: scratch, base: 'HEAD' }),
  };
}

const options = (originalDir: string, fixedDir: string, reproduction: Reproduction) => ({
  originalDir,
  fixedDir,
  reproduction,
  sandboxEnv: [],
  redact: (text: string) => text.replaceAll('hunter2', '[REDACTED]'),
});

describe('recheckReproduction', () => {
  it('proves a fix: the restored reproduction exits 0 on the scanned commit and non-zero on the fix', async () => {
    const scanned = await repo({ 'backup.sh': VULNERABLE, 'README.md': 'shop\n' });
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': REPRO });
    const fixed = await fixedCopy(scanned.dir, 'backup.sh', FIXED);

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    expect(result.status).toBe('gone');
    expect(result.before).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.before?.output).toContain('injected command ran');
    expect(result.after).toMatchObject({ exitCode: 1, timedOut: false });
    expect(result.reason).toBe('the reproduction exits 0 on the scanned commit and 1 with the fix');
    // Both trees are copied, never changed.
    expect(await readFile(path.join(fixed, 'backup.sh'), 'utf8')).toBe(FIXED);
    await expect(readFile(path.join(fixed, 'repro.sh'))).rejects.toThrow();
    await expect(readFile(path.join(scanned.dir, 'pwned'))).rejects.toThrow();
  }, 60_000);

  it('refuses a fix that leaves the weakness: the reproduction still exits 0', async () => {
    const scanned = await repo({ 'backup.sh': VULNERABLE, 'README.md': 'shop\n' });
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': REPRO });
    const fixed = await fixedCopy(scanned.dir, 'backup.sh', `# trusted\n${VULNERABLE}`);

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    expect(result.status).toBe('still_vulnerable');
    expect(result.after?.exitCode).toBe(0);
  }, 60_000);

  it('proves nothing when the restored reproduction does not show the weakness on the scanned commit', async () => {
    // The scanned code is not vulnerable (the prover was wrong, or the reproduction needs
    // something the restore lacks): its exit on the fix would say nothing.
    const scanned = await repo({ 'backup.sh': FIXED, 'README.md': 'shop\n' });
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': REPRO });
    const fixed = await fixedCopy(scanned.dir, 'README.md', 'changed\n');

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    expect(result.status).toBe('not_reproducible');
    expect(result.reason).toContain('exits 1 instead of 0');
    expect(result.after).toBeUndefined();
  }, 60_000);

  it('says when the reproduction cannot be restored on the fix (the fix wrote the same file)', async () => {
    const scanned = await repo({ 'backup.sh': VULNERABLE, 'README.md': 'shop\n' });
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': REPRO });
    const fixed = await fixedCopy(scanned.dir, 'backup.sh', FIXED);
    await writeFile(path.join(fixed, 'repro.sh'), 'exit 1\n');

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    expect(result.status).toBe('not_restored');
    expect(result.reason).toContain('could not be applied to the fixed tree');
  }, 60_000);

  it('calls a reproduction killed on the fix inconclusive, and redacts what it printed', async () => {
    const scanned = await repo({ 'backup.sh': VULNERABLE, 'README.md': 'shop\n' });
    const script =
      'echo "password hunter2"\nif grep -q eval backup.sh; then exit 0; fi\nkill -9 $$\n';
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': script });
    const fixed = await fixedCopy(scanned.dir, 'backup.sh', FIXED);

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    expect(result.status).toBe('inconclusive');
    // bash reports its child's SIGKILL as 137: a crash, not the reproduction's verdict.
    expect(result.after?.exitCode).toBe(137);
    expect(result.reason).toBe('the reproduction exits 137 (killed by signal 9) on the fixed tree');
    expect(result.before?.output).toContain('password [REDACTED]');
    expect(JSON.stringify(result)).not.toContain('hunter2');
  }, 60_000);

  it('judges the fix by its changes as committed: a file git ignores, changed by the fix, does not count', async () => {
    // The script reads an ignored local config; the "fix" only writes one that hides the
    // injection, which its pull request (a commit: ignored files left out) would not carry.
    const sourcing = VULNERABLE.replace('eval', '[ -f local.env ] && . ./local.env\neval');
    const scanned = await repo({
      'backup.sh': sourcing,
      'README.md': 'shop\n',
      '.gitignore': 'local.env\n',
    });
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': REPRO });
    const fixed = await fixedCopy(scanned.dir, 'local.env', 'name=safe\n');

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    expect(result.before?.exitCode).toBe(0);
    expect(result.status).toBe('still_vulnerable');
  }, 60_000);

  it('runs the reproduction with the installed dependencies, shown read-only as the prover had them', async () => {
    const scanned = await repo({
      'backup.sh': VULNERABLE,
      'README.md': 'shop\n',
      '.gitignore': 'node_modules/\n',
    });
    // Installed by the setup phase: ignored by git, shared into each copy, not copied.
    await mkdir(path.join(scanned.dir, 'node_modules'));
    await writeFile(
      path.join(scanned.dir, 'node_modules', 'inject.sh'),
      'bash backup.sh "x; touch pwned" >/dev/null 2>&1\n',
    );
    const repro =
      'bash node_modules/inject.sh\ntouch node_modules/written 2>/dev/null && exit 3\ntest -f pwned\n';
    const reproduction = await reproductionOf(scanned.dir, { 'repro.sh': repro });
    const fixed = await fixedCopy(scanned.dir, 'backup.sh', FIXED);

    const result = await recheckReproduction(options(scanned.dir, fixed, reproduction));

    // exit 3 would mean the dependencies were writable; 127 that they were missing.
    expect(result.before?.exitCode).toBe(0);
    expect(result.status).toBe('gone');
    expect(result.after?.exitCode).toBe(1);
  }, 60_000);
});
