import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeScratchCopy, type ScratchCopy } from '../../../src/jobs/review/scratch-copy.js';
import { closeSandboxes, makeTempDir, openSandbox, runScript } from '../../sandbox/helpers.js';
import { makeGitRepo, type TempGitRepo } from '../../support/git-repo.js';

let repo: TempGitRepo | undefined;
const copies: ScratchCopy[] = [];
let cleanupHost: (() => Promise<void>) | undefined;

afterEach(async () => {
  await closeSandboxes();
  await cleanupHost?.();
  cleanupHost = undefined;
  await Promise.all(copies.splice(0).map((copy) => copy.remove()));
  await repo?.remove();
  repo = undefined;
});

/**
 * A checkout after setup: tracked code, and installed (ignored) dependencies at the top and
 * in a workspace package; plus an ignored build directory, which is not a dependency tree.
 */
async function installedCheckout(): Promise<TempGitRepo> {
  const made = await makeGitRepo({
    '.gitignore': 'node_modules/\nbuild/\n',
    'index.js': "const left = require('left-pad');\nmodule.exports = left;\n",
    'packages/ui/index.js': "module.exports = require('ui-kit');\n",
  });
  for (const [dir, name] of [
    ['node_modules/left-pad', 'left-pad'],
    ['packages/ui/node_modules/ui-kit', 'ui-kit'],
  ] as const) {
    await mkdir(path.join(made.dir, dir), { recursive: true });
    await writeFile(path.join(made.dir, dir, 'index.js'), `module.exports = '${name}';\n`);
  }
  await mkdir(path.join(made.dir, 'build'));
  await writeFile(path.join(made.dir, 'build', 'out.js'), 'built\n');
  return made;
}

describe('a prover’s scratch copy with shared dependencies', () => {
  it('copies the code and .git but not node_modules, which the sandbox shows read-only from the checkout', async () => {
    repo = await installedCheckout();
    const copy = await makeScratchCopy(repo.dir, undefined, { shareDependencies: true });
    copies.push(copy);
    expect(copy.sharedReadOnly.map((m) => path.relative(copy.dir, m.target)).sort()).toEqual([
      'node_modules',
      'packages/ui/node_modules',
    ]);
    // On the host the copy holds empty mount points, the code, .git and the build output.
    expect(await readdir(path.join(copy.dir, 'node_modules'))).toEqual([]);
    expect(await readdir(path.join(copy.dir, 'packages/ui/node_modules'))).toEqual([]);
    expect(await readFile(path.join(copy.dir, 'build/out.js'), 'utf8')).toBe('built\n');
    expect((await stat(path.join(copy.dir, '.git/HEAD'))).isFile()).toBe(true);

    const sandbox = await openSandbox({
      workspace: copy.dir,
      policy: 'workspace-write',
      workspaceMounts: copy.sharedReadOnly,
    });
    // The dependencies are there to use.
    const used = await runScript(
      sandbox,
      'cat node_modules/left-pad/index.js packages/ui/node_modules/ui-kit/index.js',
    );
    expect(used.exitCode).toBe(0);
    expect(used.output).toContain("module.exports = 'left-pad';");
    expect(used.output).toContain("module.exports = 'ui-kit';");
    // ...and cannot be changed, added to or removed; the copy's own files can.
    const writes = await runScript(
      sandbox,
      [
        'echo hacked > node_modules/left-pad/index.js && echo wrote-existing',
        'touch node_modules/evil.js && echo wrote-new',
        'rm -rf packages/ui/node_modules/ui-kit && echo removed',
        'echo edited >> index.js && echo wrote-code',
        'true',
      ].join('; '),
    );
    expect(writes.output).not.toMatch(/wrote-existing|wrote-new|removed/);
    expect(writes.output).toContain('wrote-code');
    expect(await readFile(path.join(repo.dir, 'node_modules/left-pad/index.js'), 'utf8')).toBe(
      "module.exports = 'left-pad';\n",
    );
    expect(await readdir(path.join(repo.dir, 'node_modules'))).toEqual(['left-pad']);
    expect(await readdir(path.join(repo.dir, 'packages/ui/node_modules'))).toEqual(['ui-kit']);
    expect(await readFile(path.join(repo.dir, 'index.js'), 'utf8')).not.toContain('edited');

    // Another prover's copy is its own: the first one's edit is not in it.
    const second = await makeScratchCopy(repo.dir, undefined, { shareDependencies: true });
    copies.push(second);
    expect(await readFile(path.join(second.dir, 'index.js'), 'utf8')).not.toContain('edited');
    expect(await readFile(path.join(copy.dir, 'index.js'), 'utf8')).toContain('edited');
  }, 60_000);

  it('copies everything, dependencies included, without the option; a tracked vendor tree is always copied', async () => {
    repo = await installedCheckout();
    const full = await makeScratchCopy(repo.dir);
    copies.push(full);
    expect(full.sharedReadOnly).toEqual([]);
    expect(await readdir(path.join(full.dir, 'node_modules'))).toEqual(['left-pad']);

    const tracked = await makeGitRepo({ 'vendor/lib.js': 'vendored\n', 'a.js': 'a\n' });
    const copy = await makeScratchCopy(tracked.dir, undefined, { shareDependencies: true });
    await tracked.remove();
    copies.push(copy);
    expect(copy.sharedReadOnly).toEqual([]);
    expect(await readFile(path.join(copy.dir, 'vendor/lib.js'), 'utf8')).toBe('vendored\n');
  });

  it('runs nothing more once a command has moved a mount point away and left a symlink aimed at the host', async () => {
    repo = await installedCheckout();
    const copy = await makeScratchCopy(repo.dir, undefined, { shareDependencies: true });
    copies.push(copy);
    const host = await makeTempDir('patchling-host-');
    cleanupHost = host.remove;
    const sandbox = await openSandbox({
      workspace: copy.dir,
      policy: 'workspace-write',
      workspaceMounts: copy.sharedReadOnly,
    });
    // bwrap resolves a bind's target under /newroot while the host's root is at /oldroot:
    // enough `..` from <copy>/packages reaches its root, then the host directory.
    const ups = `${copy.dir}/packages`.split('/').filter(Boolean).length + 1;
    const aim = `${'../'.repeat(ups)}oldroot${host.dir}`;
    const moved = await runScript(
      sandbox,
      `mv packages/ui packages/ui-moved && ln -s '${aim}' packages/ui && echo moved`,
    );
    expect(moved.output).toContain('moved');
    await expect(runScript(sandbox, 'true')).rejects.toThrow(
      /packages\/ui\/node_modules was moved or replaced/,
    );
    // bwrap never ran: it would have made packages/ui/node_modules there, on the host.
    expect(await readdir(host.dir)).toEqual([]);
  }, 60_000);

  it('refuses a mount outside the workspace', async () => {
    repo = await installedCheckout();
    await expect(
      openSandbox({
        workspace: path.join(repo.dir, 'packages'),
        workspaceMounts: [
          { source: path.join(repo.dir, 'node_modules'), target: path.join(repo.dir, 'build') },
        ],
      }),
    ).rejects.toThrow(/inside the workspace/);
  });
});
