import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkSandboxSupport } from '../../src/sandbox/check-sandbox-support.js';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import { makeTempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
let workspace: string;

beforeAll(async () => {
  ({ dir, remove } = await makeTempDir('patchling-support-'));
  workspace = path.join(dir, 'ws');
  await mkdir(workspace);
});
afterAll(() => remove());

async function fakeBwrap(name: string, script: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('checkSandboxSupport', () => {
  it('finds the real bubblewrap usable on this host', async () => {
    expect(await checkSandboxSupport()).toMatchObject({ supported: true });
  });
});

describe('createSandbox without a usable bubblewrap', () => {
  it('fails with a UserError that says to install bubblewrap when bwrap is missing', async () => {
    const failure = await createSandbox({
      workspace,
      bwrapPath: path.join(dir, 'no-such-bwrap'),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserError);
    const message = (failure as UserError).message;
    expect(message).toMatch(/bubblewrap \(bwrap\) was not found/);
    expect(message).toContain('apt-get install -y bubblewrap');
    expect(message).toContain('danger-full-access');
  });

  it('names the AppArmor sysctl when bwrap cannot create namespaces', async () => {
    const bwrap = await fakeBwrap(
      'denied-bwrap',
      'echo "bwrap: setting up uid map: Permission denied" >&2; exit 1',
    );
    const failure = await createSandbox({ workspace, bwrapPath: bwrap }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UserError);
    const message = (failure as UserError).message;
    expect(message).toContain('setting up uid map: Permission denied');
    expect(message).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
    expect(message).toMatch(/AppArmor profile/);
  });

  it('reports any other self-test failure of bwrap without guessing', async () => {
    const bwrap = await fakeBwrap('broken-bwrap', 'echo "bwrap: something odd" >&2; exit 1');
    const support = await checkSandboxSupport({ bwrapPath: bwrap });
    expect(support).toMatchObject({ supported: false, problem: 'failed' });
  });

  it('never falls back to running unsandboxed on its own', async () => {
    const bwrap = await fakeBwrap('denied-bwrap-2', 'exit 1');
    const warnings: string[] = [];
    await expect(
      createSandbox({ workspace, bwrapPath: bwrap, onWarning: (m) => warnings.push(m) }),
    ).rejects.toBeInstanceOf(UserError);
    expect(warnings).toEqual([]);
  });

  it('runs without bubblewrap only when danger-full-access is chosen, with a warning', async () => {
    const warnings: string[] = [];
    const sandbox = await createSandbox({
      workspace,
      policy: 'danger-full-access',
      bwrapPath: path.join(dir, 'no-such-bwrap'),
      onWarning: (message) => warnings.push(message),
    });
    expect(sandbox.policy).toBe('danger-full-access');
    expect(warnings).toHaveLength(1);
    const result = await sandbox.run({ argv: ['pwd'], cwd: workspace, timeoutMs: 5000 });
    expect(result.exitCode).toBe(0);
  });

  it('refuses an unknown policy and a missing workspace', async () => {
    await expect(
      createSandbox({ workspace, policy: 'yolo' as unknown as 'read-only' }),
    ).rejects.toThrow(/Unknown sandbox policy/);
    await expect(createSandbox({ workspace: path.join(dir, 'missing') })).rejects.toThrow(
      /does not exist/,
    );
  });
});
