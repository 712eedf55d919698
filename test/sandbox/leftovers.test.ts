import { execFile } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { commitChanges } from '../../src/workspace/git/commit-changes.js';
import { makeGitRepo } from '../support/git-repo.js';
import type { TempGitRepo } from '../support/git-repo.js';
import { closeSandboxes, makeTempDir, openSandbox, runScript } from './helpers.js';

/**
 * The second step of an attack: a command leaves something in the workspace, and a host
 * process (Patchling's own git, the user's `git status`) acts on it after the sandbox is
 * gone. Each test performs the attack with the real bubblewrap, then plays the host.
 */
const run = promisify(execFile);
const BOT = { name: 'patchling[bot]', email: 'bot@patchling.invalid' };

let home: { dir: string; remove: () => Promise<void> };
let repo: TempGitRepo | undefined;

beforeAll(async () => {
  // The host git of these tests reads no global config of the machine's.
  home = await makeTempDir('patchling-leftovers-home-');
});
afterEach(async () => {
  await closeSandboxes();
  await repo?.remove();
  repo = undefined;
});
afterAll(async () => {
  await home.remove();
});

/** git as a user runs it on the host: plain, no forced safety config. */
function userGit(cwd: string, ...args: string[]): Promise<{ stdout: string }> {
  return run('git', args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.dir, GIT_PAGER: 'cat' },
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A script that plants repositories whose config runs `marker`-touching code on the host. */
function plantRepositories(marker: string): string {
  return `
set -e
mkdir -p sub/deep other
printf '#!/bin/sh\\ntouch ${marker}\\nexit 1\\n' > evil.sh
chmod +x evil.sh
git init -q sub/deep
git -C sub/deep config core.fsmonitor "$PWD/evil.sh"
git -C sub/deep config core.pager "$PWD/evil.sh"
git -C sub/deep config filter.evil.clean "$PWD/evil.sh"
git -C sub/deep config filter.evil.smudge "$PWD/evil.sh"
cp evil.sh sub/deep/.git/hooks/pre-commit
echo '* filter=evil' > sub/deep/.gitattributes
echo data > sub/deep/file.txt
# A bare repository under another name, and a gitdir file pointing at it.
git init -q --bare stash.git
git -C stash.git config core.fsmonitor "$PWD/evil.sh"
printf 'gitdir: %s\\n' "$PWD/stash.git" > other/.git
# Case variants: git on macOS and Windows reads these as .git.
mkdir -p sub/.Git && cp -r sub/deep/.git/. sub/.Git/
echo 'gitdir: ../stash.git' > .GIT
echo planted
`;
}

describe('nested repositories', () => {
  it('are removed after the command, so neither Patchling nor the user runs their code', async () => {
    repo = await makeGitRepo({ 'README.md': 'hello\n' }, 'patchling-nested-');
    const marker = path.join(home.dir, `marker-${Date.now()}`);
    const sandbox = await openSandbox({ workspace: repo.dir });
    const result = await runScript(sandbox, plantRepositories(marker));
    expect(result.output).toContain('planted');
    expect(result.exitCode).toBe(0);

    const notes = (result.neutralised ?? []).join('\n');
    for (const planted of ['sub/deep/.git', 'stash.git', 'other/.git', 'sub/.Git', '.GIT']) {
      expect(notes).toContain(JSON.stringify(planted));
      expect(await exists(path.join(repo.dir, planted))).toBe(false);
    }
    // What is not a repository stays: the model's other work is not lost.
    expect(await exists(path.join(repo.dir, 'sub/deep/file.txt'))).toBe(true);

    // The user's next git commands, and Patchling's own commit path.
    await userGit(repo.dir, 'status');
    await userGit(path.join(repo.dir, 'sub/deep'), 'status');
    await userGit(path.join(repo.dir, 'sub/deep'), 'log', '-1');
    const sha = await commitChanges({ dir: repo.dir, message: 'Change', author: BOT });
    const tree = (await userGit(repo.dir, 'ls-tree', '-r', '--full-tree', sha)).stdout;
    expect(tree).toContain('sub/deep/file.txt');
    expect(tree).not.toMatch(/^160000 /m); // no gitlink
    expect(tree).not.toMatch(/(^|\/)\.git(\/|\s|$)/im);
    expect(await exists(marker)).toBe(false);
  });

  it("keeps the workspace's own nested clones, read-only inside", async () => {
    repo = await makeGitRepo({ 'README.md': 'hello\n' }, 'patchling-nested-own-');
    const vendored = path.join(repo.dir, 'vendor/lib');
    await mkdir(vendored, { recursive: true });
    await run('git', ['init', '-q', vendored]);
    const sandbox = await openSandbox({ workspace: repo.dir });
    const result = await runScript(
      sandbox,
      'git -C vendor/lib config core.fsmonitor /bin/false; echo "config=$?"; rm -rf vendor/lib/.git; echo "rm=$?"',
    );
    expect(result.output).toMatch(/config=[1-9]/);
    expect(result.output).toMatch(/rm=[1-9]/);
    expect(result.neutralised).toBeUndefined();
    expect(await exists(path.join(vendored, '.git/HEAD'))).toBe(true);
    const config = (await userGit(vendored, 'config', '--list', '--local')).stdout;
    expect(config).not.toContain('fsmonitor');
  });

  it('a workspace without .git may not be given one', async () => {
    const { dir, remove } = await makeTempDir('patchling-no-git-');
    try {
      const sandbox = await openSandbox({ workspace: dir });
      const result = await runScript(sandbox, 'git init -q . && echo made');
      expect(result.output).toContain('made');
      expect(result.neutralised?.join('\n')).toContain('".git"');
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await remove();
    }
  });

  it("Patchling's commit path refuses a tree holding one, whoever made it", async () => {
    repo = await makeGitRepo({ 'README.md': 'hello\n' }, 'patchling-nested-commit-');
    const marker = path.join(home.dir, `marker-commit-${Date.now()}`);
    const nested = path.join(repo.dir, 'pkg');
    await mkdir(nested);
    await run('git', ['init', '-q', nested]);
    await writeFile(path.join(repo.dir, 'evil.sh'), `#!/bin/sh\ntouch ${marker}\n`, {
      mode: 0o755,
    });
    await run('git', ['-C', nested, 'config', 'filter.evil.clean', path.join(repo.dir, 'evil.sh')]);
    await writeFile(path.join(nested, '.gitattributes'), '* filter=evil\n');
    await writeFile(path.join(nested, 'a.txt'), 'a\n');
    const before = (await userGit(repo.dir, 'rev-parse', 'HEAD')).stdout;
    const commit = commitChanges({ dir: repo.dir, message: 'Change', author: BOT });
    await expect(commit).rejects.toThrow(UserError);
    await expect(commit).rejects.toThrow(/"pkg\/.git"/);
    expect((await userGit(repo.dir, 'rev-parse', 'HEAD')).stdout).toBe(before);
    expect(await exists(path.join(nested, '.git'))).toBe(true); // refused, not deleted
    expect(await exists(marker)).toBe(false);
  });
});

describe('repositories in shapes git accepts', () => {
  /** git's is_git_directory: HEAD a symlink, objects/refs of any type, a commondir file. */
  const shapes = `
set -e
mkdir -p evil/objects evil/refs
ln -s refs/heads/main evil/HEAD
mkdir -p odd/refs && touch odd/objects && echo 'ref: refs/heads/main' > odd/HEAD
mkdir -p linked/real && ln -s real linked/objects && ln -s real linked/refs && ln -s ../x linked/HEAD
mkdir -p common && echo ../evil > common/commondir
mkdir -p wtdir && echo /nowhere/.git > wtdir/gitdir
`;
  const config = (marker: string): string =>
    `printf '[core]\\n\\tbare = false\\n\\tworktree = wt\\n\\tfsmonitor = "touch ${marker}"\\n' > evil/config`;

  it('are removed after the command: a symlinked HEAD, objects or refs not directories, commondir, gitdir', async () => {
    repo = await makeGitRepo({ 'README.md': 'hello\n' }, 'patchling-bare-shape-');
    const marker = path.join(home.dir, `marker-bare-${Date.now()}`);
    const sandbox = await openSandbox({ workspace: repo.dir });
    const result = await runScript(
      sandbox,
      `${shapes}\n${config(marker)}\necho changed > README.md\necho planted`,
    );
    expect(result.output).toContain('planted');
    const notes = (result.neutralised ?? []).join('\n');
    for (const planted of ['evil', 'odd', 'linked', 'common', 'wtdir']) {
      expect(notes).toContain(JSON.stringify(planted));
      expect(await exists(path.join(repo.dir, planted))).toBe(false);
    }
    await userGit(repo.dir, 'status');
    await commitChanges({ dir: repo.dir, message: 'Change', author: BOT });
    expect(await exists(marker)).toBe(false);
  });

  it("Patchling's commit path refuses the demonstrated one (HEAD a symlink)", async () => {
    repo = await makeGitRepo({ 'README.md': 'hello\n' }, 'patchling-bare-shape-commit-');
    const marker = path.join(home.dir, `marker-bare-commit-${Date.now()}`);
    await run('bash', ['-c', `${shapes}\n${config(marker)}`], { cwd: repo.dir });
    const commit = commitChanges({ dir: repo.dir, message: 'Change', author: BOT });
    await expect(commit).rejects.toThrow(UserError);
    await expect(commit).rejects.toThrow(/"evil"/);
    expect(await exists(marker)).toBe(false);
  });
});

describe('paths longer than PATH_MAX, and directories the host cannot list', () => {
  it('nothing hides below them: set-id bits, FIFOs and .git at the bottom are neutralised', async () => {
    const { dir, remove } = await makeTempDir('patchling-deep-');
    try {
      const sandbox = await openSandbox({ workspace: dir });
      const result = await runScript(
        sandbox,
        [
          'set -e',
          'echo keep > keep.txt',
          `name=$(printf 'a%.0s' $(seq 200))`,
          'mkdir deep && cd deep',
          'for i in $(seq 21); do mkdir "$name" && cd "$name"; done',
          'cp /bin/sh suid && chmod 4755 suid && mkfifo fifo && git init -q . && mkdir .git/x',
          'cd "$OLDPWD" 2>/dev/null || true',
          `cd ${JSON.stringify(sandbox.workspace)}`,
          'mkdir -p locked/inner && mkfifo locked/inner/fifo && cp /bin/sh locked/suid && chmod 4755 locked/suid',
          'chmod 000 locked/inner && chmod 111 locked',
          'echo planted',
        ].join('\n'),
      );
      expect(result.output).toContain('planted');
      expect(result.exitCode).toBe(0);
      // Looked at the way find does (relative to each directory, so depth does not stop it).
      const { stdout } = await run(
        'find',
        [dir, '(', '-type', 'p', '-o', '-perm', '/6000', '-o', '-name', '.git', ')', '-print'],
        { maxBuffer: 1024 * 1024 },
      ).catch((error: { stdout: string }) => error);
      expect(stdout).toBe('');
      expect(await exists(path.join(dir, 'keep.txt'))).toBe(true);
      expect((result.neutralised ?? []).join('\n')).toContain('PATH_MAX');
    } finally {
      await run('chmod', ['-R', 'u+rwX', dir]).catch(() => undefined);
      await remove();
    }
  });
});

describe("Patchling's commit path and ignored clones", () => {
  it('commits around a nested clone that .gitignore excludes, and never records it', async () => {
    repo = await makeGitRepo(
      { 'README.md': 'hello\n', '.gitignore': 'vendor/\n' },
      'patchling-ignored-',
    );
    await mkdir(path.join(repo.dir, 'vendor'));
    await run('git', ['init', '-q', path.join(repo.dir, 'vendor/lib')]);
    await writeFile(path.join(repo.dir, 'README.md'), 'changed\n');
    const sha = await commitChanges({ dir: repo.dir, message: 'Change', author: BOT });
    const tree = (await userGit(repo.dir, 'ls-tree', '-r', '--full-tree', sha)).stdout;
    expect(tree).not.toContain('vendor');
    expect(await exists(path.join(repo.dir, 'vendor/lib/.git'))).toBe(true);
  });
});

describe('set-id files, FIFOs and device nodes', () => {
  it('leaves no set-uid/set-gid bit and no FIFO behind', async () => {
    const { dir, remove } = await makeTempDir('patchling-setid-');
    try {
      const sandbox = await openSandbox({ workspace: dir });
      const result = await runScript(
        sandbox,
        [
          'cp /bin/sh suid && chmod 4755 suid',
          'cp /bin/sh sgid && chmod g+s sgid',
          'mkdir sgid-dir && chmod 2775 sgid-dir',
          'mkfifo fifo',
          'mknod dev c 1 3 2>/dev/null || true',
          'ls -l',
        ].join('; '),
      );
      // It really did work inside...
      expect(result.output).toMatch(/-rwsr-xr-x .* suid/);
      expect(result.output).toMatch(/^p.* fifo$/m);
      // ...and nothing of it is left outside.
      for (const name of ['suid', 'sgid', 'sgid-dir']) {
        expect((await stat(path.join(dir, name))).mode & 0o6000).toBe(0);
      }
      expect((await stat(path.join(dir, 'suid'))).mode & 0o777).toBe(0o755);
      expect(await exists(path.join(dir, 'fifo'))).toBe(false);
      expect(await exists(path.join(dir, 'dev'))).toBe(false);
      const notes = (result.neutralised ?? []).join('\n');
      expect(notes).toContain('"suid"');
      expect(notes).toContain('Removed the FIFO "fifo"');
    } finally {
      await remove();
    }
  });
});

describe('what the sandbox shows and holds', () => {
  it('/dev cannot be filled, and /tmp, HOME and /dev/shm are capped', async () => {
    const { dir, remove } = await makeTempDir('patchling-tmpfs-');
    try {
      const sandbox = await openSandbox({
        workspace: dir,
        limits: { tmpfsSizeBytes: 1024 * 1024 },
      });
      const result = await runScript(
        sandbox,
        [
          'dd if=/dev/zero of=/dev/fill bs=1M count=600 2>&1 | tail -1; echo "dev=$?"',
          'for d in /tmp "$HOME" /dev/shm; do head -c 3000000 /dev/zero > "$d/fill" 2>&1; echo "$d=$?"; done',
          'echo ok > /dev/null && echo null-writable',
        ].join('\n'),
      );
      expect(result.output).toMatch(/\/dev\/fill.*Read-only file system/);
      expect(result.output).toMatch(/\/tmp=1/);
      expect(result.output).toMatch(/\/home\/patchling=1/);
      expect(result.output).toMatch(/\/dev\/shm=1/);
      expect(result.output).toContain('null-writable');
    } finally {
      await remove();
    }
  });

  it("/proc/1/cmdline shows the sandbox's own view, not bwrap's host arguments", async () => {
    const { dir, remove } = await makeTempDir('patchling-cmdline-');
    try {
      const sandbox = await openSandbox({ workspace: dir });
      const result = await runScript(sandbox, 'tr "\\0" " " < /proc/1/cmdline');
      expect(result.output).toMatch(/bwrap --args \d+ -- bash -c/);
      for (const hostDetail of ['--setenv', '--ro-bind', '--bind', 'PATH', dir]) {
        expect(result.output).not.toContain(hostDetail);
      }
    } finally {
      await remove();
    }
  });
});
