import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findWorkspaceHazards,
  inodeId,
  isGitDirName,
} from '../../src/workspace/find-workspace-hazards.js';
import { IN_PROCESS_ENTRIES } from '../../src/workspace/list-hazard-candidates.js';
import type { WalkHint } from '../../src/workspace/list-hazard-candidates.js';

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A tree holding one of each hazard, and `filler` ordinary files around them. */
async function plantedTree(filler: number): Promise<string> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-hazards-')));
  made.push(root);
  execFileSync('git', ['init', '-q', root]);
  for (let i = 0; i < filler; i++) {
    await mkdir(path.join(root, `d${i % 10}`), { recursive: true });
    await writeFile(path.join(root, `d${i % 10}`, `f${i}.txt`), 'x');
  }
  execFileSync('git', ['init', '-q', path.join(root, 'a/nested')]);
  await mkdir(path.join(root, 'b/.GIT'), { recursive: true });
  // HFS+ ignores U+200C (zero-width non-joiner): a Mac checking this out sees `.git`.
  await mkdir(path.join(root, 'h/.g\u200cit'), { recursive: true });
  await mkdir(path.join(root, 'h/.\ufeffgit'), { recursive: true });
  // Upper case, two of them, from another range; and a name with non-ASCII that is no hazard.
  await mkdir(path.join(root, 'h/.G\u206fI\u200dT'), { recursive: true });
  await mkdir(path.join(root, 'h/gi\u00e9t-caf\u00e9'), { recursive: true });
  await writeFile(path.join(root, 'c-gitdir'), '');
  await mkdir(path.join(root, 'c'));
  await writeFile(path.join(root, 'c/.git'), 'gitdir: ../stash\n');
  await symlink('/tmp', path.join(root, 'GIT~1'));
  execFileSync('git', ['init', '-q', '--bare', path.join(root, 'stash')]);
  // A name that is not UTF-8 must not hide what is under it.
  const odd = Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0xff, 0xfe])]);
  await mkdir(odd);
  await mkdir(Buffer.concat([odd, Buffer.from('/.git')]));
  execFileSync('mkfifo', [path.join(root, 'd0-pipe')]);
  await writeFile(path.join(root, 'suid'), '#!/bin/sh\n');
  await chmod(path.join(root, 'suid'), 0o4755);
  await mkdir(path.join(root, 'sgid-dir'));
  await chmod(path.join(root, 'sgid-dir'), 0o2775);
  // Ordinary names with "git" in them are not hazards.
  await mkdir(path.join(root, '.github/workflows'), { recursive: true });
  await writeFile(path.join(root, '.gitignore'), '');
  await writeFile(path.join(root, 'HEAD'), 'not a repository\n');
  return root;
}

function summary(
  root: string,
  hazards: Awaited<ReturnType<typeof findWorkspaceHazards>>,
): string[] {
  return hazards.map((hazard) => `${hazard.kind} ${path.relative(root, hazard.path)}`).sort();
}

describe('findWorkspaceHazards', () => {
  for (const [label, filler] of [
    ['a small tree (walked in-process)', 10],
    ['a large tree (walked by find)', IN_PROCESS_ENTRIES + 100],
    ['a small tree walked by find, as a sweep does once its workspace proved large', -10],
  ] as const) {
    it(`finds every hazard in ${label}, and nothing else`, async () => {
      const root = await plantedTree(Math.abs(filler));
      const own = inodeId(await lstat(path.join(root, '.git')));
      const hint: WalkHint = { large: filler < 0 };
      const hazards = await findWorkspaceHazards(root, { known: new Set([own]), hint });
      // The hint remembers a tree too large to walk in-process, and never forgets it.
      expect(hint.large).toBe(filler < 0 || filler > IN_PROCESS_ENTRIES);
      expect(summary(root, hazards)).toEqual(
        [
          'repository a/nested/.git',
          'repository b/.GIT',
          'repository c/.git',
          'repository GIT~1',
          'repository h/.g\u200cit',
          'repository h/.\ufeffgit',
          'repository h/.G\u206fI\u200dT',
          'repository stash',
          'repository \ufffd\ufffd/.git',
          'special d0-pipe',
          'set-id suid',
          'set-id sgid-dir',
        ].sort(),
      );
      // Without knowing the workspace's own .git, it is one too.
      expect(summary(root, await findWorkspaceHazards(root))).toContain('repository .git');
    });
  }

  it('recognises every spelling of .git a filesystem may fold', () => {
    for (const name of ['.git', '.GIT', '.Git', 'git~1', 'GIT~1', '.git.', '.git ', '.g\u200cit']) {
      expect(isGitDirName(name)).toBe(true);
    }
    for (const name of ['.github', '.gitignore', 'git', '.git2', 'x.git']) {
      expect(isGitDirName(name)).toBe(false);
    }
  });
});
