import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { step, type ScriptStep } from '../support/model-server/index.js';
import type { CliOptions, CliResult } from '../support/run-cli.js';
import { startScenario, type JsonObject, type Scenario, nonProgressLines } from './harness.js';
import {
  commitFiles,
  diffSent,
  filesInDiff,
  finding,
  git,
  numberedSource,
  reviewAnswer,
  userTextOf,
  writeFiles,
} from './review-helpers.js';

/** A small project whose test passes on main, and on the feature branch too. */
const BASE_FILES: Readonly<Record<string, string>> = {
  'package.json': '{ "type": "module" }\n',
  'sum.js': 'export const sum = (a, b) => a + b;\n',
  'test.js':
    "import { sum } from './sum.js';\n" +
    "if (sum(2, 3) !== 5) { console.error('FAIL: sum(2, 3) = ' + sum(2, 3)); process.exit(1); }\n" +
    "console.log('PASS');\n",
};

/** The feature branch's change: a second export with a bug on line 2. */
const SUM_WITH_BUG = 'export const sum = (a, b) => a + b;\nexport const twice = (a) => a * 3;\n';
const TWICE_FIX = 'export const twice = (a) => sum(a, a);\n';

const CONFIG_PATH = '.github/patchling.yml';

// Every test runs the real CLI (tsx start-up, sandboxes) one to four times.
vi.setConfig({ testTimeout: 120_000 });

const open: Scenario[] = [];
afterEach(async () => {
  for (const scenario of open.splice(0)) await scenario.close();
});

async function scenario(
  script: ScriptStep[],
  options: {
    readonly files?: Readonly<Record<string, string>>;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<Scenario> {
  const started = await startScenario(script, { files: BASE_FILES, ...options });
  open.push(started);
  return started;
}

/** A scenario whose checkout is on branch `feature`, one commit (SUM_WITH_BUG) past main. */
async function featureScenario(
  script: ScriptStep[],
  options: {
    readonly mainFiles?: Readonly<Record<string, string>>;
    readonly featureFiles?: Readonly<Record<string, string | null>>;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<{ scenario: Scenario; branchPoint: string }> {
  const started = await scenario(script, {
    files: { ...BASE_FILES, ...options.mainFiles },
    ...(options.env ? { env: options.env } : {}),
  });
  const dir = started.repo.dir;
  const branchPoint = await git(dir, 'rev-parse', 'HEAD');
  await git(dir, 'checkout', '--quiet', '-b', 'feature');
  await commitFiles(dir, options.featureFiles ?? { 'sum.js': SUM_WITH_BUG }, 'feature work');
  return { scenario: started, branchPoint };
}

/** `patchling review <args>`; whatever happens, the API key is never printed. */
async function review(
  target: Scenario,
  args: readonly string[],
  options: Partial<CliOptions> = {},
): Promise<CliResult> {
  const result = await target.run(['review', ...args], { timeoutMs: 60_000, ...options });
  expect(result.stdout).not.toContain(target.apiKey);
  expect(result.stderr).not.toContain(target.apiKey);
  return result;
}

/** stdout of `review --json`: exactly one JSON object on one line. */
function parseJson(result: CliResult): JsonObject {
  expect(result.stdout.endsWith('\n')).toBe(true);
  expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
  return JSON.parse(result.stdout) as JsonObject;
}

describe('patchling review: the report', () => {
  it('prints each finding as `path:line  P1  title` with its explanation, then the summary', async () => {
    const { scenario: s, branchPoint } = await featureScenario([
      reviewAnswer(
        [
          finding({
            path: 'sum.js',
            title: 'Exports are untested',
            priority: 'P2',
            start_line: 1,
            end_line: 2,
          }),
          finding({
            path: 'sum.js',
            title: 'twice triples its argument',
            explanation:
              'twice(2) is 6, not 4.\n\nCallers that double a value get the wrong result.',
            priority: 'P1',
            start_line: 2,
            end_line: 2,
          }),
        ],
        'Adds twice(), which is wrong.',
      ),
    ]);

    const result = await review(s, []);

    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    // Most severe first; a range prints as start-end.
    expect(result.stdout).toBe(
      [
        'sum.js:2  P1  twice triples its argument',
        '    twice(2) is 6, not 4.',
        '',
        '    Callers that double a value get the wrong result.',
        '',
        'sum.js:1-2  P2  Exports are untested',
        '    Explanation of Exports are untested.',
        '',
        'Adds twice(), which is wrong.',
        '',
        'Reviewed 1 file.',
        '',
      ].join('\n'),
    );
    // One batch, one request: the diff from main's merge base, and the task says so.
    expect(s.server.requests).toHaveLength(1);
    const diff = diffSent(s.server.requests[0]);
    expect(filesInDiff(diff)).toEqual(['sum.js']);
    expect(diff).toContain('+export const twice = (a) => a * 3;');
    expect(userTextOf(s.server.requests[0])).toContain(
      `since it left main (merge base ${branchPoint.slice(0, 7)})`,
    );
    // The review is read-only: the checkout is as it was.
    expect(await git(s.repo.dir, 'status', '--porcelain')).toBe('');
  });

  it('prints the whole result as one JSON object with --json', async () => {
    const { scenario: s, branchPoint } = await featureScenario([
      reviewAnswer(
        [
          finding({
            path: 'sum.js',
            title: 'twice triples its argument',
            priority: 'P1',
            start_line: 2,
            end_line: 2,
            suggestion: TWICE_FIX,
          }),
          finding({ path: 'sum.js', title: 'sum has no doc comment', priority: 'P2' }),
        ],
        'Adds twice().',
      ),
    ]);

    const result = await review(s, ['--json']);

    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const json = parseJson(result);
    expect(Object.keys(json).sort()).toEqual(
      [
        'base',
        'dropped',
        'findings',
        'message',
        'reviewed_files',
        'run_ids',
        'skipped_files',
        'status',
        'summary',
        'usage',
      ].sort(),
    );
    expect(json).toMatchObject({
      status: 'completed',
      message: 'Reviewed: 2 findings.',
      base: branchPoint,
      summary: 'Adds twice().',
      reviewed_files: ['sum.js'],
      skipped_files: [],
      dropped: [],
    });
    expect(json.findings).toEqual([
      {
        title: 'twice triples its argument',
        explanation: 'Explanation of twice triples its argument.',
        priority: 'P1',
        confidence: 0.9,
        kind: 'other',
        path: 'sum.js',
        start_line: 2,
        end_line: 2,
        suggestion: TWICE_FIX,
        verified_suggestion: true,
      },
      {
        title: 'sum has no doc comment',
        explanation: 'Explanation of sum has no doc comment.',
        priority: 'P2',
        confidence: 0.9,
        kind: 'other',
        path: 'sum.js',
        start_line: 1,
        end_line: 1,
        suggestion: null,
        verified_suggestion: false,
      },
    ]);
    expect(json.run_ids).toEqual(await s.runIds());
    expect(json.run_ids).toHaveLength(1);
    expect((json.usage as { totalTokens: number }).totalTokens).toBeGreaterThan(0);
  });

  it('redacts the API key when the model echoes it into a finding', async () => {
    const { scenario: s } = await featureScenario([]);
    const leaky = finding({
      path: 'sum.js',
      title: 'leaks a key',
      explanation: `The key is ${s.apiKey}.`,
      start_line: 2,
      end_line: 2,
    });
    s.server.push(reviewAnswer([leaky], `summary with ${s.apiKey}`), reviewAnswer([leaky]));

    const text = await review(s, []);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('    The key is [REDACTED].');
    expect(text.stdout).toContain('summary with [REDACTED]');

    const json = await review(s, ['--json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('The key is [REDACTED].');
    // `review` itself asserted the key is nowhere in stdout or stderr; nor is it sent in
    // any request body (only as the authorization header).
    for (const request of s.server.requests) expect(request.rawBody).not.toContain(s.apiKey);
  });
});

describe('patchling review: exit codes', () => {
  it('exits 1 when a finding reaches --fail-on, 0 when none does', async () => {
    const p1 = reviewAnswer([
      finding({ path: 'sum.js', title: 'twice triples', priority: 'P1', start_line: 2 }),
    ]);
    const { scenario: s } = await featureScenario([p1, p1, p1, p1]);

    expect((await review(s, ['--fail-on', 'P1'])).code).toBe(1);
    expect((await review(s, ['--fail-on', 'P2'])).code).toBe(1);
    const p0 = await review(s, ['--fail-on', 'P0']);
    expect(p0.code).toBe(0);
    expect(p0.stdout).toContain('sum.js:2  P1  twice triples');
    // No --fail-on and no review.fail_on: findings are reported, the exit is clean.
    expect((await review(s, [])).code).toBe(0);
    expect(s.server.remaining()).toBe(0);
  });

  it('takes the bar from review.fail_on in the checkout, and --fail-on overrides it', async () => {
    const p2 = reviewAnswer([
      finding({ path: 'sum.js', title: 'edge case', priority: 'P2', start_line: 2 }),
    ]);
    const { scenario: s } = await featureScenario([p2, p2, p2], {
      mainFiles: { [CONFIG_PATH]: 'review:\n  fail_on: P2\n' },
    });

    expect((await review(s, [])).code).toBe(1);
    expect((await review(s, ['--json'])).code).toBe(1);
    expect((await review(s, ['--fail-on', 'P1'])).code).toBe(0);
  });

  it('refuses a --fail-on that is not a priority, with exit 2 and no model call', async () => {
    const { scenario: s } = await featureScenario([]);
    const result = await review(s, ['--fail-on', 'P5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--fail-on.*P5/);
    expect(s.server.requests).toHaveLength(0);
  });

  it('exits 124 when a budget ends the review', async () => {
    const { scenario: s } = await featureScenario([
      step.toolCalls([{ name: 'list_dir', arguments: { path: '.' } }]),
    ]);
    const result = await review(s, ['--max-turns', '1']);
    expect(result.code).toBe(124);
    expect(result.stderr).toMatch(/^patchling: The review failed: .*turn/im);
    expect(s.server.requests).toHaveLength(1);
  });
});

describe('patchling review: the checkout config filters findings', () => {
  const CONFIG = [
    'review:',
    '  min_priority: P2',
    '  max_comments: 2',
    '  ignore_paths:',
    '    - "legacy/**"',
    '',
  ].join('\n');
  const answer = () =>
    reviewAnswer([
      finding({ path: 'sum.js', title: 'Naming nit', priority: 'P3', start_line: 2 }),
      finding({ path: 'legacy/old.js', title: 'Legacy bug', priority: 'P1' }),
      finding({ path: 'sum.js', title: 'twice triples', priority: 'P1', start_line: 2 }),
      finding({ path: 'sum.js', title: 'second', priority: 'P2' }),
      finding({ path: 'sum.js', title: 'third', priority: 'P2', confidence: 0.5 }),
    ]);

  it('drops findings by min_priority, ignore_paths and max_comments, and lists them as left out', async () => {
    const { scenario: s } = await featureScenario([answer(), answer()], {
      mainFiles: { [CONFIG_PATH]: CONFIG, 'legacy/old.js': 'export const old = 1;\n' },
      featureFiles: { 'sum.js': SUM_WITH_BUG, 'legacy/old.js': 'export const old = 2;\n' },
    });

    const text = await review(s, []);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('sum.js:2  P1  twice triples');
    expect(text.stdout).toContain('sum.js:1  P2  second');
    expect(text.stdout).not.toMatch(/^\S+ {2}P\d {2}(Naming nit|Legacy bug|third)$/m);
    expect(text.stdout).toContain(
      [
        'Reviewed 1 file.',
        'Skipped legacy/old.js: ignored by config pattern "legacy/**"',
        'Left out 3 findings:',
        '  sum.js:2 P3 Naming nit: P3 is below the minimum priority P2',
        '  legacy/old.js:1 P1 Legacy bug: the path matches ignore_paths "legacy/**"',
        '  sum.js:1 P2 third: over the comment limit',
      ].join('\n'),
    );
    // The ignored file never reached the model.
    expect(filesInDiff(diffSent(s.server.requests[0]))).toEqual(['sum.js']);

    const json = parseJson(await review(s, ['--json']));
    expect((json.findings as JsonObject[]).map((f) => f.title)).toEqual([
      'twice triples',
      'second',
    ]);
    expect((json.dropped as JsonObject[]).map((f) => [f.title, f.reason])).toEqual([
      ['Naming nit', 'P3 is below the minimum priority P2'],
      ['Legacy bug', 'the path matches ignore_paths "legacy/**"'],
      ['third', 'over the comment limit'],
    ]);
    expect(json.skipped_files).toEqual([
      { path: 'legacy/old.js', reason: 'ignored by config pattern "legacy/**"' },
    ]);
    expect(json.reviewed_files).toEqual(['sum.js']);
  });

  it("skips what the checkout's .gitattributes marks generated, and reviews what it takes back", async () => {
    const { scenario: s } = await featureScenario([reviewAnswer([])], {
      mainFiles: {
        '.gitattributes': 'schema.js linguist-generated\ndist/** -linguist-generated\n',
      },
      featureFiles: {
        'sum.js': SUM_WITH_BUG,
        'schema.js': 'export const schema = 2;\n',
        'dist/out.js': 'export const out = 2;\n',
      },
    });

    const json = parseJson(await review(s, ['--json']));
    expect(json.skipped_files).toEqual([
      { path: 'schema.js', reason: 'generated (.gitattributes: linguist-generated)' },
    ]);
    expect(json.reviewed_files).toEqual(['dist/out.js', 'sum.js']);
    expect(filesInDiff(diffSent(s.server.requests[0]))).toEqual(['dist/out.js', 'sum.js']);
  });

  it('exits 2 on an invalid .github/patchling.yml, naming the key, before calling the model', async () => {
    const { scenario: s } = await featureScenario([]);
    // The checkout's own file, committed or not, is the one read.
    await writeFiles(s.repo.dir, {
      [CONFIG_PATH]: 'review:\n  min_priorty: P1\n  fail_on: P7\n',
    });

    const result = await review(s, []);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('.github/patchling.yml is invalid');
    expect(result.stderr).toContain(
      'review.min_priorty: unknown key (did you mean "min_priority"?)',
    );
    expect(result.stderr).toContain('review.fail_on: expected one of P0, P1, P2, P3, got "P7"');
    expect(s.server.requests).toHaveLength(0);
  });
});

describe('patchling review: files it reads from the checkout', () => {
  it('refuses a .github/patchling.yml that links to a host file, quoting none of it', async () => {
    const { scenario: s } = await featureScenario([]);
    const hostFile = path.join(s.repo.dir, '..', `host-secret-${process.pid}.txt`);
    await writeFile(hostFile, 'review:\n  fail_on: HOST-SECRET-CONTENT\n');
    try {
      await mkdir(path.join(s.repo.dir, '.github'), { recursive: true });
      await symlink(hostFile, path.join(s.repo.dir, CONFIG_PATH));
      const result = await review(s, []);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('leads outside the workspace through a symbolic link');
      expect(result.stderr).not.toContain('HOST-SECRET-CONTENT');
      expect(s.server.requests).toHaveLength(0);
    } finally {
      await rm(hostFile, { force: true });
    }
  });

  it('does not hang on a FIFO named .github/patchling.yml', async () => {
    const { scenario: s } = await featureScenario([]);
    await mkdir(path.join(s.repo.dir, '.github'), { recursive: true });
    execFileSync('mkfifo', [path.join(s.repo.dir, CONFIG_PATH)]);
    const result = await review(s, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '".github/patchling.yml" in the workspace is not a regular file',
    );
    expect(s.server.requests).toHaveLength(0);
  });
});

describe('patchling review: what is compared', () => {
  it('--uncommitted reviews only staged, unstaged and untracked changes', async () => {
    const s = await scenario([reviewAnswer([])], {
      files: {
        ...BASE_FILES,
        '.gitignore': '*.log\n',
        'committed.js': 'export const committed = 1;\n',
        'staged.js': 'export const staged = 1;\n',
        'unstaged.js': 'export const unstaged = 1;\n',
      },
    });
    const dir = s.repo.dir;
    await commitFiles(dir, { 'committed.js': 'export const committed = 2;\n' }, 'committed');
    await writeFiles(dir, { 'staged.js': 'export const staged = 2;\n' });
    await git(dir, 'add', 'staged.js');
    await writeFiles(dir, {
      'unstaged.js': 'export const unstaged = 2;\n',
      'untracked.js': 'export const untracked = 1;\n',
      'debug.log': 'ignored\n',
    });
    const statusBefore = await git(dir, 'status', '--porcelain');

    const result = await review(s, ['--uncommitted', '--json']);

    expect(result.code).toBe(0);
    const json = parseJson(result);
    expect(json.base).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
    expect(json.reviewed_files).toEqual(['staged.js', 'unstaged.js', 'untracked.js']);
    const diff = diffSent(s.server.requests[0]);
    expect(filesInDiff(diff)).toEqual(['staged.js', 'unstaged.js', 'untracked.js']);
    expect(diff).toContain('+export const staged = 2;');
    expect(diff).toContain('+export const unstaged = 2;');
    expect(diff).toContain('+export const untracked = 1;');
    expect(diff).not.toContain('committed');
    expect(diff).not.toContain('debug.log');
    expect(userTextOf(s.server.requests[0])).toContain('Review the uncommitted changes');
    // The checkout's own index is left as it was (the diff uses a throwaway one).
    expect(await git(dir, 'status', '--porcelain')).toBe(statusBefore);
  });

  /** main: initial — main-only; feature (checked out): initial — feature.js, plus wip.js untracked. */
  async function divergedScenario(script: ScriptStep[]) {
    const { scenario: s, branchPoint } = await featureScenario(script, {
      featureFiles: { 'feature.js': 'export const feature = 1;\n' },
    });
    const dir = s.repo.dir;
    await git(dir, 'checkout', '--quiet', 'main');
    await commitFiles(
      dir,
      { 'main-only.js': 'export const mainOnly = 1;\n', 'sum.js': '// main moved on\n' },
      'main after the branch point',
    );
    await git(dir, 'checkout', '--quiet', 'feature');
    await writeFiles(dir, { 'wip.js': 'export const wip = 1;\n' });
    return { s, branchPoint };
  }

  it('leaves out what the user ignores everywhere (their global excludes), as their own git does', async () => {
    const configHome = await mkdtemp(path.join(os.tmpdir(), 'patchling-xdg-'));
    await mkdir(path.join(configHome, 'git'), { recursive: true });
    await writeFile(path.join(configHome, 'git', 'ignore'), '.env\n');
    const { scenario: s } = await featureScenario([reviewAnswer([])], {
      env: { XDG_CONFIG_HOME: configHome },
    });
    await writeFiles(s.repo.dir, { '.env': 'DATABASE_PASSWORD=hunter2-not-for-the-model\n' });

    const json = parseJson(await review(s, ['--json']));
    expect(json.reviewed_files).toEqual(['sum.js']);
    expect(s.server.requests.map((request) => request.rawBody).join('\n')).not.toContain(
      'hunter2-not-for-the-model',
    );
    await rm(configHome, { recursive: true, force: true });
  });

  it('--base REF diffs the working tree against the merge base, not REF itself', async () => {
    const { s, branchPoint } = await divergedScenario([reviewAnswer([])]);

    const json = parseJson(await review(s, ['--base', 'main', '--json']));

    expect(json.base).toBe(branchPoint);
    const diff = diffSent(s.server.requests[0]);
    // The branch's commit and the uncommitted file; nothing main did after the branch point.
    expect(filesInDiff(diff)).toEqual(['feature.js', 'wip.js']);
    expect(diff).not.toContain('main-only');
    expect(diff).not.toContain('main moved on');
  });

  it('finds the base on its own: main, else master', async () => {
    const { s, branchPoint } = await divergedScenario([reviewAnswer([]), reviewAnswer([])]);

    const json = parseJson(await review(s, ['--json']));
    expect(json.base).toBe(branchPoint);
    expect(filesInDiff(diffSent(s.server.requests[0]))).toEqual(['feature.js', 'wip.js']);
    expect(userTextOf(s.server.requests[0])).toContain('since it left main');

    await git(s.repo.dir, 'branch', '-m', 'main', 'master');
    const fromMaster = parseJson(await review(s, ['--json']));
    expect(fromMaster.base).toBe(branchPoint);
    expect(userTextOf(s.server.requests[1])).toContain('since it left master');
  });

  it('prefers origin/main to a local main', async () => {
    const { scenario: s, branchPoint } = await featureScenario([reviewAnswer([])], {
      featureFiles: { 'feature.js': 'export const feature = 1;\n' },
    });
    const dir = s.repo.dir;
    // The local main has caught up with the feature; the remote one has not.
    await git(dir, 'update-ref', 'refs/remotes/origin/main', branchPoint);
    await git(dir, 'branch', '-f', 'main', 'feature');

    const json = parseJson(await review(s, ['--json']));

    expect(json.base).toBe(branchPoint);
    expect(filesInDiff(diffSent(s.server.requests[0]))).toEqual(['feature.js']);
    expect(userTextOf(s.server.requests[0])).toContain('since it left origin/main');
  });

  it('exits 2 with a clear message when there is no base to compare with', async () => {
    const s = await scenario([]);
    const dir = s.repo.dir;
    await git(dir, 'branch', '-m', 'main', 'trunk');

    const none = await review(s, []);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(
      'Found none of origin/HEAD, origin/main, origin/master, main, master to compare with: pass --base REF, or --uncommitted.',
    );

    const unknown = await review(s, ['--base', 'no-such-branch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no-such-branch shares no history with HEAD here');

    // A branch with no history in common with HEAD.
    await git(dir, 'checkout', '--quiet', '--orphan', 'unrelated');
    await commitFiles(dir, { 'other.js': 'export const other = 1;\n' }, 'unrelated root');
    const unrelated = await review(s, ['--base', 'trunk']);
    expect(unrelated.code).toBe(2);
    expect(unrelated.stderr).toContain('trunk shares no history with HEAD here');

    const both = await review(s, ['--base', 'trunk', '--uncommitted']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('Pass --base REF or --uncommitted, not both.');

    expect(s.server.requests).toHaveLength(0);
  });

  it('reviews an empty change without calling the model, from another directory with -C', async () => {
    const s = await scenario([], { files: { ...BASE_FILES, 'lib/util.js': '// util\n' } });
    const dir = s.repo.dir;
    await git(dir, 'checkout', '--quiet', '-b', 'feature');
    // A change and its revert: commits, but nothing to review.
    await commitFiles(dir, { 'lib/util.js': '// changed\n' }, 'change');
    await commitFiles(dir, { 'lib/util.js': '// util\n' }, 'revert');

    const text = await review(s, ['-C', path.join(dir, 'lib')], { cwd: s.stateDir });
    expect(nonProgressLines(text.stderr)).toEqual([]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('No findings.\n\nReviewed 0 files.\n');

    const json = parseJson(await review(s, ['--json', '--fail-on', 'P3']));
    expect(json).toMatchObject({
      status: 'completed',
      message: 'Nothing to review in this change.',
      findings: [],
      reviewed_files: [],
      skipped_files: [],
      run_ids: [],
    });
    expect(s.server.requests).toHaveLength(0);
  });
});

describe('patchling review: review.verify', () => {
  it('keeps a suggestion that passes the check, and shows one that fails without it, with the reason', async () => {
    const findings = [
      finding({
        path: 'sum.js',
        title: 'twice triples',
        priority: 'P1',
        start_line: 2,
        end_line: 2,
        suggestion: TWICE_FIX,
      }),
      finding({
        path: 'sum.js',
        title: 'sum should subtract',
        priority: 'P2',
        start_line: 1,
        end_line: 1,
        suggestion: 'export const sum = (a, b) => a - b;\n',
      }),
    ];
    const { scenario: s } = await featureScenario(
      [reviewAnswer(findings), reviewAnswer(findings)],
      // `node test.js` passes on the head and with the first suggestion, not the second.
      { mainFiles: { [CONFIG_PATH]: 'review:\n  verify: node test.js\n' } },
    );

    const text = await review(s, []);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      [
        'sum.js:2  P1  twice triples',
        '    Explanation of twice triples.',
        '    suggestion:',
        '    + export const twice = (a) => sum(a, a);',
        '',
        'sum.js:1  P2  sum should subtract',
        '    Explanation of sum should subtract.',
        '    (suggestion left out: the check failed with exit code 1: FAIL: sum(2, 3) = -1)',
        '',
      ].join('\n'),
    );
    expect(text.stdout).not.toContain('+ export const sum = (a, b) => a - b;');

    const json = parseJson(await review(s, ['--json']));
    const [passing, failing] = json.findings as JsonObject[];
    expect(passing).toMatchObject({ title: 'twice triples', verified_suggestion: true });
    expect(passing).not.toHaveProperty('suggestion_note');
    expect(failing).toMatchObject({ title: 'sum should subtract', verified_suggestion: false });
    expect(failing?.suggestion_note).toMatch(
      /^the check failed with exit code 1:\n[\s\S]*FAIL: sum\(2, 3\) = -1/,
    );
    // The check ran on a scratch copy: the checkout still holds the head's code.
    expect(await readFile(path.join(s.repo.dir, 'sum.js'), 'utf8')).toBe(SUM_WITH_BUG);
    expect(await git(s.repo.dir, 'status', '--porcelain')).toBe('');
  });
});

describe('patchling review: a change in several parts', () => {
  /** A context window this small makes a batch of 1,000 tokens: one ~700-token file each. */
  const SMALL_WINDOW = { PATCHLING_CONTEXT_WINDOW: '1000' };
  const bigFiles = (names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [`${name}.js`, numberedSource(name, 60)]));
  /** Batches run concurrently, so requests arrive in any order: answer each by its file. */
  const byFile = (answers: Readonly<Record<string, () => ScriptStep>>): ScriptStep => ({
    kind: 'respond',
    fn: (request) => {
      const [file] = filesInDiff(diffSent(request));
      const answer = answers[file ?? ''];
      if (!answer) throw new Error(`no answer for ${String(file)}`);
      return answer();
    },
  });

  it('makes one model run per batch, each request holding only its own files', async () => {
    const names = ['alpha', 'beta', 'gamma'];
    const answers = Object.fromEntries(
      names.map((name) => [
        `${name}.js`,
        () =>
          reviewAnswer([finding({ path: `${name}.js`, title: `${name} issue`, start_line: 3 })]),
      ]),
    );
    const { scenario: s } = await featureScenario(
      names.map(() => byFile(answers)),
      { featureFiles: bigFiles(names), env: SMALL_WINDOW },
    );

    const result = await review(s, []);

    expect(result.code).toBe(0);
    expect(nonProgressLines(result.stderr)).toEqual(
      names.map((name, i) => `reviewing part ${i + 1} of 3: ${name}.js`),
    );
    expect(s.server.requests).toHaveLength(3);
    for (const [i, name] of names.entries()) {
      const request = s.server.requests.find(
        (r) => filesInDiff(diffSent(r)).join() === `${name}.js`,
      );
      expect(filesInDiff(diffSent(request))).toEqual([`${name}.js`]);
      expect(userTextOf(request)).toContain(
        `this is part ${i + 1}, with this file: ${name}.js. Report findings on these files only.`,
      );
      // A run of its own: no other batch's diff anywhere in the request.
      for (const other of names.filter((n) => n !== name)) {
        expect(request?.rawBody).not.toContain(`${other}_0`);
      }
    }
    for (const name of names) expect(result.stdout).toContain(`${name}.js:3  P2  ${name} issue`);
    expect(result.stdout).toContain('Reviewed 3 files.');
    expect(await s.runIds()).toHaveLength(3);
  });

  it('reports a batch the model could not answer as skipped and exits 3, keeping the others', async () => {
    // Not JSON, twice: the run fails after its one repair. Small usage keeps the tiny
    // context window from compacting between the two answers.
    const garbage = () =>
      step.text('Looks good to me!', { usage: { inputTokens: 100, outputTokens: 5 } });
    const good = () =>
      reviewAnswer([finding({ path: 'beta.js', title: 'beta issue', start_line: 3 })], 'Beta.');
    const answers = { 'alpha.js': garbage, 'beta.js': good };
    const { scenario: s } = await featureScenario(
      Array.from({ length: 6 }, () => byFile(answers)),
      { featureFiles: bigFiles(['alpha', 'beta']), env: SMALL_WINDOW },
    );

    const text = await review(s, []);

    expect(text.code).toBe(3);
    expect(text.stdout).toContain('beta.js:3  P2  beta issue');
    expect(text.stdout).toContain('Reviewed 1 file.');
    expect(text.stdout).toMatch(
      /^Skipped alpha\.js: not reviewed: the final answer did not match the output schema/m,
    );
    expect(text.stderr).toMatch(
      /^patchling: Reviewed 1 of 2 parts \(1 finding\); the others failed: the final answer did not match the output schema/m,
    );
    // alpha: the answer and its repair; beta: one answer.
    expect(s.server.requests.map((r) => filesInDiff(diffSent(r)).join()).sort()).toEqual([
      'alpha.js',
      'alpha.js',
      'beta.js',
    ]);

    // With a finding at the --fail-on bar, the finding decides the exit code.
    const json = parseJson(await review(s, ['--json', '--fail-on', 'P2']));
    expect(json.status).toBe('partial');
    expect(json.reviewed_files).toEqual(['beta.js']);
    expect(json.skipped_files).toEqual([
      {
        path: 'alpha.js',
        reason: expect.stringMatching(
          /^not reviewed: the final answer did not match the output schema/,
        ),
      },
    ]);
    expect((json.findings as JsonObject[]).map((f) => f.path)).toEqual(['beta.js']);
    expect(s.server.remaining()).toBe(0);
  });

  it('exits 3 when the only batch fails', async () => {
    const { scenario: s } = await featureScenario([step.badRequest('this model is unavailable')]);

    const result = await review(s, []);

    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^Skipped sum\.js: not reviewed: .*this model is unavailable/m);
    expect(result.stderr).toMatch(/^patchling: The review failed: .*this model is unavailable/m);
    // Nothing was reviewed: no "No findings." (that would read as a clean review).
    expect(result.stdout).not.toMatch(/No findings|Reviewed 0 files/);
  });
});
