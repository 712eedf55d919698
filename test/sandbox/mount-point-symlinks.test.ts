import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSandboxes, makeTempDir, openSandbox, runScript } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await closeSandboxes();
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('mount points inside the workspace', () => {
  // A nested repository's .git is bound read-only onto itself at every command; bwrap finds
  // the bind's source under /oldroot (the host) and its target under /newroot (the sandbox),
  // following symlinks. With `sub` replaced by a symlink to `..`, the source becomes the
  // .git of the directory holding the workspace (the user's own repository, when the
  // workspace is a folder of it), bound at that path inside.
  it('are checked before each command: a symlink left in place of a nested repository shows nothing of the host', async () => {
    const outer = await makeTempDir('patchling-outer-');
    cleanup.push(outer.remove);
    await mkdir(path.join(outer.dir, '.git'));
    await writeFile(path.join(outer.dir, '.git', 'config'), 'host-only-secret\n');
    const workspace = path.join(outer.dir, 'ws');
    await mkdir(path.join(workspace, 'sub'), { recursive: true });
    execFileSync('git', ['init', '-q', path.join(workspace, 'sub')]);

    const sandbox = await openSandbox({ workspace, policy: 'workspace-write' });
    const moved = await runScript(sandbox, 'mv sub sub-moved && ln -s .. sub && echo moved');
    expect(moved.output).toContain('moved');

    const read = runScript(sandbox, `cat '${outer.dir}/.git/config'`);
    await expect(read).rejects.toThrow(/sub\/\.git was moved or replaced/);
  }, 60_000);
});
