import { afterEach, describe, expect, it } from 'vitest';
import { applyPatchTool, createApplyPatchTool } from '../../src/tools/apply-patch.js';
import type { ToolContext } from '../../src/tools/types.js';
import type { SandboxPolicy } from '../../src/sandbox/types.js';
import { nodeWriterFs } from '../../src/workspace/patch/write-changes-atomically.js';
import {
  makeWorkspace,
  patch,
  removeWorkspace,
  snapshot,
} from '../workspace/patch/workspace-fixture.js';

const cleanup: string[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map(removeWorkspace));
});

async function setup(
  files: Record<string, string>,
  policy: SandboxPolicy = 'workspace-write',
): Promise<{ root: string; context: ToolContext }> {
  const root = await makeWorkspace(files);
  cleanup.push(root);
  const context: ToolContext = {
    workspace: root,
    // This tool never runs commands; a minimal sandbox is all it needs.
    sandbox: {
      policy,
      workspace: root,
      run: () => Promise.reject(new Error('apply_patch must not run commands')),
    },
    signal: new AbortController().signal,
    emit: () => undefined,
  };
  return { root, context };
}

describe('apply_patch tool', () => {
  it('declares itself for the model', () => {
    expect(applyPatchTool.name).toBe('apply_patch');
    expect(applyPatchTool.mutating).toBe(true);
    expect(applyPatchTool.description).toContain('*** Begin Patch');
    expect(applyPatchTool.description).toContain('*** End of File');
    expect(applyPatchTool.parameters.safeParse({ input: 'x' }).success).toBe(true);
    expect(applyPatchTool.parameters.safeParse({ patch: 'x' }).success).toBe(false);
    // Sent every turn: keep it compact.
    expect(applyPatchTool.description.length).toBeLessThan(1600);
  });

  it('applies a patch and lists the changed files the way Codex does', async () => {
    const { root, context } = await setup({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
    const input = patch(
      '*** Add File: new.txt',
      '+new',
      '*** Update File: a.txt',
      '@@',
      '-a',
      '+A',
      '*** Delete File: b.txt',
      '*** Update File: c.txt',
      '*** Move to: d.txt',
    );
    const outcome = await applyPatchTool.run({ input }, context);
    expect(outcome).toEqual({
      ok: true,
      output:
        'Success. Updated the following files:\nA new.txt\nM a.txt\nD b.txt\nM d.txt (moved from c.txt)',
    });
    expect(await snapshot(root)).toEqual({ 'a.txt': 'A\n', 'd.txt': 'c\n', 'new.txt': 'new\n' });
  });

  it('refuses under a read-only sandbox, before touching anything', async () => {
    const { root, context } = await setup({ 'a.txt': 'a\n' }, 'read-only');
    const outcome = await applyPatchTool.run({ input: patch('*** Delete File: a.txt') }, context);
    expect(outcome).toEqual({
      ok: false,
      output: 'apply_patch refused: the sandbox is read-only; no files may be changed.',
    });
    expect(await snapshot(root)).toEqual({ 'a.txt': 'a\n' });
  });

  it('reports a parse error as a failed outcome with the line', async () => {
    const { context } = await setup({});
    const outcome = await applyPatchTool.run({ input: '*** Add File: a.txt\n+x' }, context);
    expect(outcome).toEqual({
      ok: false,
      output:
        'apply_patch failed; no file was changed.\nInvalid patch, line 1: the first line of the patch must be "*** Begin Patch", not "*** Add File: a.txt".',
    });
  });

  it('reports a hunk that does not apply as a failed outcome naming it', async () => {
    const { root, context } = await setup({ 'a.txt': 'a\n' });
    const outcome = await applyPatchTool.run(
      { input: patch('*** Add File: b.txt', '+b', '*** Update File: a.txt', '@@', '-zzz', '+y') },
      context,
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(
      /^apply_patch failed; no file was changed\.\nhunk 2 \(\*\*\* Update File: a\.txt, patch line 4\), chunk 1 of 1 \(patch line 5\): this line was not found in a\.txt:\n {2}zzz\n/,
    );
    expect(await snapshot(root)).toEqual({ 'a.txt': 'a\n' });
  });

  it('refuses .git and paths outside the workspace as failed outcomes', async () => {
    const { root, context } = await setup({ '.git/config': '[core]\n' });
    for (const input of [
      patch('*** Update File: .git/config', '@@', '+[evil]'),
      patch('*** Add File: ../escaped.txt', '+x'),
    ]) {
      const outcome = await applyPatchTool.run({ input }, context);
      expect(outcome.ok).toBe(false);
      expect(outcome.output).toMatch(/^apply_patch failed; no file was changed\.\nhunk 1 /);
    }
    expect(await snapshot(root)).toEqual({ '.git/config': '[core]\n' });
  });

  it('reports a write failure, rolled back, as a failed outcome', async () => {
    const { root, context } = await setup({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const tool = createApplyPatchTool({
      writer: {
        fs: {
          ...nodeWriterFs,
          unlink: () => Promise.reject(new Error('EIO: injected')),
        },
      },
    });
    const outcome = await tool.run(
      { input: patch('*** Update File: a.txt', '@@', '-a', '+A', '*** Delete File: b.txt') },
      context,
    );
    expect(outcome).toEqual({
      ok: false,
      output:
        'apply_patch failed; no file was changed.\nWriting the patch failed (EIO: injected); every change was rolled back, so no file was changed.',
    });
    expect(await snapshot(root)).toEqual({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
  });

  it('does not start writing once the call is aborted', async () => {
    const { root, context } = await setup({ 'a.txt': 'a\n' });
    const controller = new AbortController();
    controller.abort();
    const outcome = await applyPatchTool.run(
      { input: patch('*** Delete File: a.txt') },
      { ...context, signal: controller.signal },
    );
    expect(outcome.ok).toBe(false);
    expect(await snapshot(root)).toEqual({ 'a.txt': 'a\n' });
  });
});
