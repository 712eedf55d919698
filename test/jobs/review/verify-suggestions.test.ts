import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySuggestions } from '../../../src/jobs/review/verify-suggestions.js';
import type { VerifySuggestionsOptions } from '../../../src/jobs/review/verify-suggestions.js';
import { createSandbox } from '../../../src/sandbox/create-sandbox.js';
import type { Sandbox } from '../../../src/sandbox/types.js';
import { makeGitRepo } from '../../support/git-repo.js';
import type { TempGitRepo } from '../../support/git-repo.js';
import { makeFinding } from './make-finding.js';

const CALC = 'export const sum = (a, b) => a + b;\r\nexport const twice = (a) => a * 2;\r\n';
// The repository's check: a "lint" that refuses the word BROKEN in calc.js, and that
// proves it runs in the scratch copy by leaving a file there.
const CHECK = [
  "const fs = require('node:fs');",
  "fs.writeFileSync('check-ran.txt', 'yes');",
  "const lines = fs.readFileSync('calc.js', 'utf8').split('\\n');",
  'lines.forEach((line, i) => {',
  "  if (line.includes('BROKEN')) { console.log('FAIL: calc.js:' + (i + 1) + ' is BROKEN'); process.exit(3); }",
  '});',
  "console.log('ok');",
  '',
].join('\n');

let repo: TempGitRepo;
// A name nothing else on the machine uses: the escapes below must not create it.
const ESCAPE = `patchling-escape-${process.pid}-${Date.now()}`;
let outer: string;
let scratchParent: string;
let sandboxes: Sandbox[];
let scratchDirs: string[];

beforeEach(async () => {
  repo = await makeGitRepo({ 'calc.js': CALC, 'check.cjs': CHECK, 'notes.txt': 'one\ntwo' });
  outer = await mkdtemp(path.join(os.tmpdir(), 'patchling-outside-'));
  scratchParent = await mkdtemp(path.join(os.tmpdir(), 'patchling-scratch-parent-'));
  await writeFile(path.join(outer, 'secret.js'), 'outside\n');
  await symlink(path.join(outer, 'secret.js'), path.join(repo.dir, 'link.js'));
  sandboxes = [];
  scratchDirs = [];
});

afterEach(async () => {
  await Promise.all(sandboxes.map((sandbox) => sandbox.close?.()));
  await repo.remove();
  await rm(outer, { recursive: true, force: true });
  await rm(scratchParent, { recursive: true, force: true });
});

async function sandboxFactory(scratchDir: string): Promise<Sandbox> {
  scratchDirs.push(scratchDir);
  const sandbox = await createSandbox({ workspace: scratchDir, policy: 'workspace-write' });
  sandboxes.push(sandbox);
  return sandbox;
}

function verify(overrides: Partial<VerifySuggestionsOptions>) {
  return verifySuggestions({
    workspace: repo.dir,
    findings: [],
    sandboxFactory,
    scratchParent,
    ...overrides,
  });
}

/** Every file under dir (symlinks as their target text), for before/after comparison. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile()) files.set(full, (await readFile(full)).toString('base64'));
    else if (entry.isSymbolicLink()) files.set(full, `link`);
  }
  return files;
}

describe('verifySuggestions with the real sandbox', () => {
  it('verifies what applies and passes the check, and nothing else; the head is untouched', async () => {
    const findings = [
      // Applies, but the check fails on it.
      makeFinding({ path: 'calc.js', start_line: 1, end_line: 1, suggestion: '// BROKEN\n' }),
      // On another file: passes only if calc.js was put back after the broken suggestion.
      makeFinding({ path: 'notes.txt', start_line: 2, end_line: 2, suggestion: 'TWO' }),
      // Applies and passes.
      makeFinding({
        path: 'calc.js',
        start_line: 2,
        end_line: 2,
        suggestion: 'export const twice = (a) => a + a;',
      }),
      makeFinding({ path: 'calc.js', start_line: 2, end_line: 3, suggestion: 'x' }),
      makeFinding({ path: `../${ESCAPE}`, start_line: 1, end_line: 1, suggestion: 'pwned' }),
      makeFinding({ path: `../../${ESCAPE}`, start_line: 1, end_line: 1, suggestion: 'pwned' }),
      makeFinding({ path: 'link.js', start_line: 1, end_line: 1, suggestion: 'pwned' }),
      makeFinding({ path: '.git/config', start_line: 1, end_line: 1, suggestion: 'pwned' }),
      makeFinding({
        path: 'calc.js',
        start_line: 1,
        end_line: 1,
        suggestion: 'export const sum = (a, b) => a + b;\n',
      }),
      makeFinding({ path: 'calc.js', suggestion: null }),
      makeFinding({ path: 'missing.js', start_line: 1, end_line: 1, suggestion: 'x' }),
    ];
    const before = await snapshot(repo.dir);
    const outsideBefore = await snapshot(outer);

    const verdicts = await verify({ findings, verifyCommand: 'node check.cjs' });

    expect(verdicts.map((verdict) => verdict.finding)).toEqual(findings);
    const [broken, other, passing, outside, up, upUp, link, git, noop, none, missing] = verdicts;
    expect(broken).toMatchObject({ verified: false });
    expect(broken?.reason).toContain('exit code 3');
    expect(broken?.reason).toContain('FAIL: calc.js:1 is BROKEN');
    expect(passing).toEqual({ finding: findings[2], verified: true });
    expect(outside).toMatchObject({ verified: false });
    expect(outside?.reason).toContain('outside the file, which has 2 lines');
    expect(up?.reason).toContain('outside the workspace');
    expect(upUp?.reason).toContain('outside the workspace');
    expect(link?.reason).toContain('symbolic link');
    expect(git?.reason).toContain('.git');
    for (const refused of [up, upUp, link, git]) expect(refused?.verified).toBe(false);
    expect(noop).toMatchObject({ verified: false, reason: 'no change' });
    expect(none).toMatchObject({ verified: false, reason: 'no suggestion' });
    expect(missing).toMatchObject({
      verified: false,
      reason: 'missing.js does not exist in the head',
    });
    expect(other).toMatchObject({ verified: true });

    // One copy, one sandbox, for the whole batch; gone afterwards.
    expect(scratchDirs).toHaveLength(1);
    expect(scratchDirs[0]?.startsWith(scratchParent)).toBe(true);
    expect(existsSync(scratchDirs[0] as string)).toBe(false);
    expect(await readdir(scratchParent)).toEqual([]);
    // The head, and what lies next to it, byte for byte as before.
    expect(await snapshot(repo.dir)).toEqual(before);
    expect(await snapshot(outer)).toEqual(outsideBefore);
    expect(existsSync(path.join(path.dirname(repo.dir), ESCAPE))).toBe(false);
    expect(existsSync(path.join(path.dirname(path.dirname(repo.dir)), ESCAPE))).toBe(false);
  });

  it('keeps CRLF line endings and file modes in the copy the check sees', async () => {
    await writeFile(
      path.join(repo.dir, 'check.cjs'),
      [
        "const fs = require('node:fs');",
        "const text = fs.readFileSync('calc.js', 'utf8');",
        "const expected = 'export const sum = (a, b) => a + b;\\r\\nexport const twice = (a) => 2 * a;\\r\\n';",
        'if (text !== expected) { console.log(JSON.stringify(text)); process.exit(1); }',
        "if ((fs.statSync('calc.js').mode & 0o777) !== 0o640) { console.log('mode'); process.exit(1); }",
      ].join('\n'),
    );
    const { chmod } = await import('node:fs/promises');
    await chmod(path.join(repo.dir, 'calc.js'), 0o640);
    const finding = makeFinding({
      path: 'calc.js',
      start_line: 2,
      end_line: 2,
      suggestion: 'export const twice = (a) => 2 * a;\n',
    });
    const [verdict] = await verify({ findings: [finding], verifyCommand: 'node check.cjs' });
    expect(verdict).toEqual({ finding, verified: true });
    expect((await stat(path.join(repo.dir, 'calc.js'))).mode & 0o777).toBe(0o640);
  });

  it('does not verify a check that runs past its timeout', async () => {
    const finding = makeFinding({ path: 'notes.txt', start_line: 1, end_line: 1, suggestion: 'x' });
    const [verdict] = await verify({
      findings: [finding],
      verifyCommand: 'echo started; sleep 10',
      timeoutMs: 500,
    });
    expect(verdict?.verified).toBe(false);
    expect(verdict?.reason).toMatch(/^the check timed out after 0.5s:\nstarted/);
    expect(await readdir(scratchParent)).toEqual([]);
  });
});

describe('verifySuggestions against a check that plants links', () => {
  it('never writes through them: the copy is thrown away and the next check gets a fresh one', async () => {
    await repo.remove();
    repo = await makeGitRepo({ 'sub/file.js': 'inside\n', 'notes.txt': 'one\n' });
    await writeFile(path.join(outer, 'file.js'), 'outside\n');
    const findings = [
      makeFinding({ path: 'sub/file.js', start_line: 1, end_line: 1, suggestion: 'changed' }),
      makeFinding({ path: 'notes.txt', start_line: 1, end_line: 1, suggestion: 'ONE' }),
    ];
    const before = await snapshot(repo.dir);
    const verdicts = await verify({
      findings,
      // Swaps the directory of the touched file for a link out of the copy.
      verifyCommand: `if [ -d sub ]; then rm -rf sub && ln -s ${outer} sub; fi; test -L sub`,
    });
    expect(verdicts.map((verdict) => verdict.verified)).toEqual([true, true]);
    expect(await readFile(path.join(outer, 'file.js'), 'utf8')).toBe('outside\n');
    expect(scratchDirs).toHaveLength(2);
    expect(await readdir(scratchParent)).toEqual([]);
    expect(await snapshot(repo.dir)).toEqual(before);
  });
});

describe('verifySuggestions without a check', () => {
  it('verifies what applies cleanly, with no copy and no sandbox', async () => {
    const factory = () => Promise.reject(new Error('no sandbox needed'));
    const findings = [
      makeFinding({ path: 'notes.txt', start_line: 1, end_line: 1, suggestion: 'ONE' }),
      makeFinding({ path: 'notes.txt', start_line: 3, end_line: 3, suggestion: 'THREE' }),
    ];
    const verdicts = await verify({ findings, sandboxFactory: factory });
    expect(verdicts.map((verdict) => verdict.verified)).toEqual([true, false]);
    expect(await readdir(scratchParent)).toEqual([]);
  });
});

describe('verifySuggestions when things go wrong', () => {
  const finding = () =>
    makeFinding({ path: 'notes.txt', start_line: 1, end_line: 1, suggestion: 'x' });

  it('does not verify when the sandbox cannot be made, says why, and cleans up', async () => {
    let calls = 0;
    const factory = () => {
      calls++;
      return Promise.reject(new Error('bubblewrap is missing'));
    };
    const verdicts = await verify({
      findings: [finding(), finding()],
      verifyCommand: 'true',
      sandboxFactory: factory,
    });
    expect(verdicts.map((verdict) => verdict.reason)).toEqual([
      'the check could not start: bubblewrap is missing',
      'the check could not start: bubblewrap is missing',
    ]);
    expect(calls).toBe(1);
    expect(await readdir(scratchParent)).toEqual([]);
  });

  it('throws when aborted, and cleans up', async () => {
    const controller = new AbortController();
    const run = verify({
      findings: [finding()],
      verifyCommand: 'sleep 10',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('superseded')), 1500);
    await expect(run).rejects.toThrow('superseded');
    expect(await readdir(scratchParent)).toEqual([]);
  });
});

describe('verifySuggestions, several at once', () => {
  it('runs checks concurrently, each on its own scratch copy that holds only its suggestion', async () => {
    const runs: { dir: string; start: number; end: number }[] = [];
    const timedFactory = async (scratchDir: string): Promise<Sandbox> => {
      const sandbox = await sandboxFactory(scratchDir);
      return {
        ...sandbox,
        workspace: sandbox.workspace,
        run: async (request) => {
          const start = performance.now();
          const result = await sandbox.run(request);
          runs.push({ dir: scratchDir, start, end: performance.now() });
          return result;
        },
      };
    };
    const findings = [
      makeFinding({
        path: 'calc.js',
        start_line: 1,
        end_line: 1,
        suggestion: 'export const sum = (a, b) => a + b; // A\r\n',
      }),
      makeFinding({
        path: 'calc.js',
        start_line: 2,
        end_line: 2,
        suggestion: 'export const twice = (a) => a * 2; // B\r\n',
      }),
    ];
    // Fails if one copy ever holds both suggestions; sleeps so that overlap is visible.
    const verifyCommand = "sleep 1; ! { grep -q '// A' calc.js && grep -q '// B' calc.js; }";

    const verdicts = await verify({
      findings,
      verifyCommand,
      sandboxFactory: timedFactory,
      concurrency: 2,
    });

    expect(verdicts.map((v) => v.verified)).toEqual([true, true]);
    expect(runs).toHaveLength(2);
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(first.dir).not.toBe(second.dir);
    // Both ran at the same time: each started before the other ended.
    expect(first.start).toBeLessThan(second.end);
    expect(second.start).toBeLessThan(first.end);
    // Every copy is gone afterwards.
    expect(await readdir(scratchParent)).toEqual([]);
  });
});
