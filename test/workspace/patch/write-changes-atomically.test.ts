import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPatch } from '../../../src/workspace/patch/apply-patch.js';
import { PatchWriteError } from '../../../src/workspace/patch/patch-errors.js';
import {
  nodeWriterFs,
  type WriterFs,
} from '../../../src/workspace/patch/write-changes-atomically.js';
import { makeWorkspace, patch, removeWorkspace, snapshot } from './workspace-fixture.js';

const cleanup: string[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map(removeWorkspace));
});

const FILES = {
  'a.txt': 'a\n',
  'b.txt': 'b\n',
  'd/e.txt': 'e\n',
  'x.sh': 'echo x\n',
};

/** Touches every kind of operation: update, add in new dirs, delete, move. */
const PATCH = patch(
  '*** Update File: a.txt',
  '@@',
  '-a',
  '+A',
  '*** Add File: new/deeper/n.txt',
  '+n',
  '*** Delete File: b.txt',
  '*** Update File: d/e.txt',
  '*** Move to: d/f.txt',
  '*** Update File: x.sh',
  '@@',
  '-echo x',
  '+echo y',
);

type Operation = keyof WriterFs;

/**
 * The real file system, except that the `failAt`-th mutating call (counting from 1)
 * throws. Calls after it succeed, so the rollback itself can run.
 */
function failingFs(failAt: number, log: Operation[] = []): WriterFs {
  let calls = 0;
  const wrap =
    <A extends unknown[], R>(operation: Operation, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls += 1;
      log.push(operation);
      if (calls === failAt) throw new Error(`injected ${operation} failure`);
      return call(...args);
    };
  return {
    mkdir: wrap('mkdir', nodeWriterFs.mkdir),
    writeFile: wrap('writeFile', nodeWriterFs.writeFile),
    chmod: wrap('chmod', nodeWriterFs.chmod),
    rename: wrap('rename', nodeWriterFs.rename),
    unlink: wrap('unlink', nodeWriterFs.unlink),
    rmdir: wrap('rmdir', nodeWriterFs.rmdir),
  };
}

async function workspace(): Promise<string> {
  const root = await makeWorkspace(FILES);
  cleanup.push(root);
  await chmod(path.join(root, 'x.sh'), 0o755);
  return root;
}

describe('writeChangesAtomically', () => {
  it('writes every change when nothing fails, leaving no temporary file', async () => {
    const root = await workspace();
    const log: Operation[] = [];
    await applyPatch(root, PATCH, { fs: failingFs(0, log) });
    expect(await snapshot(root)).toEqual({
      'a.txt': 'A\n',
      'd/f.txt': 'e\n',
      'new/deeper/n.txt': 'n\n',
      'x.sh': 'echo y\n',
    });
    expect((await stat(path.join(root, 'x.sh'))).mode & 0o777).toBe(0o755);
    // Temporaries first, then renames, deletions last.
    expect(log.lastIndexOf('writeFile')).toBeLessThan(log.indexOf('rename'));
    expect(log.lastIndexOf('rename')).toBeLessThan(log.indexOf('unlink'));
  });

  it('rolls back every file whichever write step fails', async () => {
    const dryRun: Operation[] = [];
    await applyPatch(await workspace(), PATCH, { fs: failingFs(0, dryRun) });
    expect(dryRun.length).toBeGreaterThan(10);

    for (let failAt = 1; failAt <= dryRun.length; failAt += 1) {
      const root = await workspace();
      const before = await snapshot(root);
      const error = await applyPatch(root, PATCH, { fs: failingFs(failAt) }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      const step = `${dryRun[failAt - 1]} (call ${failAt})`;
      expect(error, step).toBeInstanceOf(PatchWriteError);
      expect((error as PatchWriteError).rolledBack, step).toBe(true);
      expect((error as PatchWriteError).message, step).toMatch(
        /^Writing the patch failed \(injected \w+ failure\); every change was rolled back, so no file was changed\.$/,
      );
      expect(await snapshot(root), step).toEqual(before);
      expect((await stat(path.join(root, 'x.sh'))).mode & 0o777, step).toBe(0o755);
    }
  });

  it('says which files it could not restore when the rollback fails too', async () => {
    const root = await workspace();
    let renames = 0;
    const fs: WriterFs = {
      ...nodeWriterFs,
      // The third rename fails, and so does every rename after it: the rollback's too.
      rename: async (from, to) => {
        renames += 1;
        if (renames >= 3) throw new Error('disk gone');
        return nodeWriterFs.rename(from, to);
      },
    };
    const error = await applyPatch(root, PATCH, { fs }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PatchWriteError);
    expect((error as PatchWriteError).rolledBack).toBe(false);
    expect((error as PatchWriteError).message).toMatch(
      /^Writing the patch failed \(disk gone\), and these files could not be restored and may be left half-changed: a\.txt\.$/,
    );
  });
});
