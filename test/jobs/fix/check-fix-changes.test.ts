import { execFile } from 'node:child_process';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkFixChanges,
  DEFAULT_MAX_FILE_BYTES,
  type FixChangeRules,
} from '../../../src/jobs/fix/check-fix-changes.js';
import { makeGitRepo, type TempGitRepo } from '../../support/git-repo.js';

const run = promisify(execFile);

/** A push token as GitHub hands them out, and a model API key: both must never leave. */
const TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
const API_KEY = 'sk-test-0123456789abcdef01234567';
const RULES: FixChangeRules = { allowWorkflowChanges: false, secrets: [TOKEN, API_KEY] };

const BASE_FILES = {
  'src/sum.js': 'export const sum = (a, b) => a - b;\n',
  'README.md': '# fixture\n',
  '.github/workflows/ci.yml':
    'name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n',
  '.gitignore': 'build/\n',
};

let repo: TempGitRepo;
let base: string;

beforeEach(async () => {
  repo = await makeGitRepo(BASE_FILES, 'patchling-fix-check-');
  base = (await run('git', ['rev-parse', 'HEAD'], { cwd: repo.dir })).stdout.trim();
});
afterEach(() => repo.remove());

async function write(file: string, content: string | Buffer): Promise<void> {
  const full = path.join(repo.dir, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content);
}

async function move(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(path.join(repo.dir, to)), { recursive: true });
  await rename(path.join(repo.dir, from), path.join(repo.dir, to));
}

/** Commits the whole working tree; returns the new HEAD. */
async function commitAll(message: string): Promise<string> {
  const git = (...args: string[]) =>
    run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], { cwd: repo.dir });
  await git('add', '-A');
  await git('commit', '-q', '--no-verify', '-m', message);
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

const remove = (file: string) => rm(path.join(repo.dir, file));
const check = (rules: Partial<FixChangeRules> = {}) =>
  checkFixChanges(repo.dir, base, { ...RULES, ...rules });

describe('checkFixChanges', () => {
  describe('an empty change', () => {
    it('is no change, not a violation', async () => {
      expect(await check()).toEqual({
        ok: false,
        empty: true,
        problems: ['the change is empty'],
        files: [],
      });
    });

    it('includes a file changed and changed back, and ignored files', async () => {
      await write('src/sum.js', 'changed\n');
      await write('src/sum.js', BASE_FILES['src/sum.js']);
      await write('build/out.js', 'generated\n');
      expect(await check()).toMatchObject({ ok: false, empty: true });
    });
  });

  it('accepts an ordinary change, listing every file with its status', async () => {
    await write('src/sum.js', 'export const sum = (a, b) => a + b;\n');
    await write('src/sum.test.js', 'test\n');
    await remove('README.md');
    const result = await check();
    expect(result).toEqual({
      ok: true,
      files: expect.arrayContaining([
        { path: 'src/sum.js', status: 'modified' },
        { path: 'src/sum.test.js', status: 'added' },
        { path: 'README.md', status: 'deleted' },
      ]),
    });
    expect(result.files).toHaveLength(3);
  });

  it('leaves the real index alone', async () => {
    await write('new.js', 'x\n');
    await check();
    const { stdout } = await run('git', ['status', '--porcelain'], { cwd: repo.dir });
    expect(stdout).toBe('?? new.js\n');
  });

  describe('.github/workflows', () => {
    const WORKFLOW_PROBLEM = /under \.github\/workflows, which fix\.allow_workflow_changes/;

    it.each([
      [
        'added',
        async () => write('.github/workflows/release.yml', 'name: release\n'),
        '.github/workflows/release.yml',
      ],
      [
        'modified',
        async () => write('.github/workflows/ci.yml', 'name: ci\non: pull_request_target\n'),
        '.github/workflows/ci.yml',
      ],
      ['deleted', async () => remove('.github/workflows/ci.yml'), '.github/workflows/ci.yml'],
      [
        'renamed out of the directory',
        async () => move('.github/workflows/ci.yml', 'ci.yml'),
        'ci.yml',
      ],
      [
        'renamed into the directory',
        async () => move('README.md', '.github/workflows/README.md'),
        '.github/workflows/README.md',
      ],
      [
        'added with another case',
        async () => write('.GitHub/Workflows/evil.yml', 'name: evil\n'),
        '.GitHub/Workflows/evil.yml',
      ],
    ])('refuses a workflow %s', async (_what, change, shown) => {
      await change();
      const result = await check();
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.empty).toBe(false);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatch(WORKFLOW_PROBLEM);
      expect(result.problems[0]).toContain(`it changes ${shown} under`);
    });

    it('sees a rename out of the directory as a rename', async () => {
      await move('.github/workflows/ci.yml', 'docs/ci.yml');
      const result = await check({ allowWorkflowChanges: true });
      expect(result.files).toEqual([
        { path: 'docs/ci.yml', oldPath: '.github/workflows/ci.yml', status: 'renamed' },
      ]);
    });

    it('lists every workflow in one problem', async () => {
      await write('.github/workflows/a.yml', 'a\n');
      await write('.github/workflows/b.yml', 'b\n');
      const result = await check();
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems).toEqual([
        expect.stringContaining(
          'it changes .github/workflows/a.yml, .github/workflows/b.yml under .github/workflows',
        ),
      ]);
    });

    it('does not count other files under .github', async () => {
      await write('.github/dependabot.yml', 'version: 2\n');
      await write('.github/workflows-notes.md', 'notes\n');
      expect((await check()).ok).toBe(true);
    });

    it('accepts workflow changes when allowed', async () => {
      await write('.github/workflows/ci.yml', 'name: ci\n');
      await write('.github/workflows/new.yml', 'name: new\n');
      expect(await check({ allowWorkflowChanges: true })).toEqual({
        ok: true,
        files: expect.any(Array),
      });
    });
  });

  describe('fix.max_changed_files', () => {
    beforeEach(async () => {
      await write('a.js', 'a\n');
      await write('b.js', 'b\n');
      await remove('README.md');
    });

    it('accepts exactly the limit', async () => {
      expect((await check({ maxChangedFiles: 3 })).ok).toBe(true);
    });

    it('refuses one more, counting deletions', async () => {
      const result = await check({ maxChangedFiles: 2 });
      expect(result).toMatchObject({
        ok: false,
        empty: false,
        problems: ['it changes 3 files, more than fix.max_changed_files (2)'],
      });
      expect(result.files).toHaveLength(3);
    });

    it('has no limit when unset', async () => {
      expect((await check({ maxChangedFiles: undefined })).ok).toBe(true);
    });
  });

  describe('the size cap', () => {
    it('is 1 MiB by default: exactly that is accepted, one byte more refused', async () => {
      expect(DEFAULT_MAX_FILE_BYTES).toBe(1024 * 1024);
      await write('data/at-limit.bin', Buffer.alloc(DEFAULT_MAX_FILE_BYTES, 0x61));
      expect((await check()).ok).toBe(true);

      await write('data/over.bin', Buffer.alloc(DEFAULT_MAX_FILE_BYTES + 1, 0x61));
      const result = await check();
      expect(result).toMatchObject({
        ok: false,
        empty: false,
        problems: [
          `data/over.bin is ${DEFAULT_MAX_FILE_BYTES + 1} bytes, over the ${DEFAULT_MAX_FILE_BYTES}-byte limit for one file`,
        ],
      });
    });

    it('follows maxFileBytes, for a modified file too', async () => {
      await write('README.md', 'x'.repeat(101));
      expect(await check({ maxFileBytes: 100 })).toMatchObject({
        ok: false,
        problems: ['README.md is 101 bytes, over the 100-byte limit for one file'],
      });
      expect((await check({ maxFileBytes: 101 })).ok).toBe(true);
    });

    it('does not apply to a deleted file', async () => {
      await remove('README.md');
      expect((await check({ maxFileBytes: 1 })).ok).toBe(true);
    });
  });

  describe('secret values', () => {
    it('refuses a text file holding a secret as is', async () => {
      await write('src/config.js', `export const token = '${TOKEN}';\n`);
      expect(await check()).toMatchObject({
        ok: false,
        empty: false,
        problems: ['src/config.js contains a secret value'],
      });
    });

    it('refuses a modified file holding the API key', async () => {
      await write('README.md', `# fixture\n\nkey: ${API_KEY}\n`);
      expect(await check()).toMatchObject({
        ok: false,
        problems: ['README.md contains a secret value'],
      });
    });

    it.each([
      ['base64 of x-access-token:TOKEN', Buffer.from(`x-access-token:${TOKEN}`).toString('base64')],
      ['base64 of the token', Buffer.from(TOKEN).toString('base64')],
      ['JSON-escaped', JSON.stringify(`a/b"${'c'.repeat(10)}`).slice(1, -1)],
      ['URL-encoded', encodeURIComponent(`a/b"${'c'.repeat(10)}`)],
    ])('refuses a secret spelled as %s', async (_what, spelled) => {
      await write('auth.txt', `Authorization: Basic ${spelled}\n`);
      const result = await check({ secrets: [TOKEN, `a/b"${'c'.repeat(10)}`] });
      expect(result).toMatchObject({
        ok: false,
        problems: ['auth.txt contains a secret value'],
      });
    });

    it('refuses a binary file holding a secret among other bytes', async () => {
      const binary = Buffer.concat([
        Buffer.from([0x00, 0xff, 0xfe, 0x89, 0x50, 0x4e, 0x47, 0x00]),
        Buffer.from(API_KEY, 'latin1'),
        Buffer.from([0x00, 0x80, 0xc3, 0x28, 0x00]),
      ]);
      await write('assets/blob.bin', binary);
      expect(await check()).toMatchObject({
        ok: false,
        problems: ['assets/blob.bin contains a secret value'],
      });
    });

    it('refuses a renamed file whose new content holds a secret', async () => {
      await move('src/sum.js', 'lib/sum.js');
      await write('lib/sum.js', `${BASE_FILES['src/sum.js']}// ${TOKEN}\n`);
      expect(await check()).toMatchObject({
        ok: false,
        problems: ['lib/sum.js contains a secret value'],
      });
    });

    it('names each file that holds one, next to other problems', async () => {
      await write('one.txt', TOKEN);
      await write('two.txt', API_KEY);
      await write('.github/workflows/x.yml', 'x\n');
      const result = await check({ maxChangedFiles: 2 });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems).toEqual([
        expect.stringContaining('under .github/workflows'),
        'it changes 3 files, more than fix.max_changed_files (2)',
        'one.txt contains a secret value',
        'two.txt contains a secret value',
      ]);
    });

    it('does not read a deleted file, whatever it held', async () => {
      // The secret is in the base commit (a mistake being fixed): deleting it is fine.
      await write('leaked.txt', TOKEN);
      const leakedBase = await commitAll('leak a token');
      await remove('leaked.txt');
      expect(await checkFixChanges(repo.dir, leakedBase, RULES)).toEqual({
        ok: true,
        files: [{ path: 'leaked.txt', status: 'deleted' }],
      });
    });

    it('ignores a secret in a .gitignored file, which is never committed', async () => {
      await write('build/env.txt', TOKEN);
      await write('src/sum.js', 'export const sum = (a, b) => a + b;\n');
      expect(await check()).toEqual({
        ok: true,
        files: [{ path: 'src/sum.js', status: 'modified' }],
      });
    });

    it('ignores values shorter than 8 characters, which would match ordinary text', async () => {
      await write('src/sum.js', 'export const sum = (a, b) => a + b; // abc\n');
      expect((await check({ secrets: ['abc', 'sum'] })).ok).toBe(true);
    });

    it('accepts a change without secrets', async () => {
      await write('src/sum.js', 'export const sum = (a, b) => a + b;\n');
      expect((await check()).ok).toBe(true);
    });

    // BUG (src/jobs/fix/check-fix-changes.ts, the `!info.isFile()` skip): a symlink is
    // committed as a blob holding its target, but the check skips symlinks, so a link whose
    // target is a secret value passes. Remove `.fails` once a symlink's readlink() text is
    // checked like a file's content.
    it('refuses a symlink whose target is a secret value', async () => {
      await symlink(TOKEN, path.join(repo.dir, 'innocent-link'));
      expect(await check()).toMatchObject({
        ok: false,
        problems: ['innocent-link contains a secret value'],
      });
    });
  });
});
