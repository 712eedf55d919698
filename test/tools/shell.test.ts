import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectMemoryLimit } from '../../src/sandbox/memory-limit.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { createShellTool, shellTool } from '../../src/tools/shell.js';
import type { ToolContext } from '../../src/tools/types.js';
import { closeSandboxes, openSandbox } from '../sandbox/helpers.js';

let workspace: string;
let context: ToolContext;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-shell-'));
  await mkdir(path.join(workspace, 'pkg', 'src'), { recursive: true });
  const sandbox: Sandbox = await openSandbox({ workspace });
  context = { workspace, sandbox, signal: new AbortController().signal, emit: () => undefined };
});
afterAll(async () => {
  await closeSandboxes();
  await rm(workspace, { recursive: true, force: true });
});

describe('shell tool', () => {
  it('reports exit code, wall time and interleaved output; ok only on exit 0', async () => {
    const failed = await shellTool.run({ command: 'echo out; echo err >&2; exit 3' }, context);
    expect(failed.ok).toBe(false);
    expect(failed.output).toMatch(/^Exit code: 3\nWall time: \d+\.\d s\nOutput:\nout\nerr$/);

    const passed = await shellTool.run({ command: 'true' }, context);
    expect(passed).toEqual({
      ok: true,
      output: expect.stringMatching(/^Exit code: 0\nWall time: [\d.]+ s\nOutput: \(none\)$/),
    });
  });

  it('runs an argv array without a shell', async () => {
    const result = await shellTool.run({ command: ['printf', '%s|', 'a b', '$HOME'] }, context);
    expect(result.output).toContain('a b|$HOME|');
  });

  it('runs in a workdir inside the workspace', async () => {
    const result = await shellTool.run({ command: 'pwd', workdir: 'pkg/src' }, context);
    expect(result.ok).toBe(true);
    expect(result.output).toContain(path.join('pkg', 'src'));
  });

  it('refuses a workdir that escapes the workspace, without running anything', async () => {
    for (const workdir of ['..', '../..', '/etc', 'pkg/../../']) {
      const result = await shellTool.run({ command: 'touch escaped', workdir }, context);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/outside the workspace/);
    }
    expect(existsSync(path.join(workspace, 'escaped'))).toBe(false);
    expect(existsSync(path.join(path.dirname(workspace), 'escaped'))).toBe(false);
  });

  it('denies an escalation request without running the command, and says why', async () => {
    const result = await shellTool.run(
      {
        command: 'touch escalated; curl https://example.com',
        sandbox_permissions: 'require_escalated',
        justification: 'need to download a package',
      },
      context,
    );
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/^Denied/);
    expect(result.output).toContain('need to download a package');
    expect(result.output).toMatch(/non-interactive in CI; nobody can approve/);
    expect(result.output).toMatch(
      /network access and writes outside the repository are unavailable/,
    );
    expect(existsSync(path.join(workspace, 'escalated'))).toBe(false);
  });

  it('adds the network hint when a command failed for want of a network, and only then', async () => {
    const offline = await shellTool.run(
      {
        command: [
          'node',
          '-e',
          "require('dns').lookup('registry.npmjs.org', (e) => { console.error(String(e)); process.exit(1); })",
        ],
      },
      context,
    );
    expect(offline.ok).toBe(false);
    expect(offline.output).toMatch(/EAI_AGAIN|ENOTFOUND/);
    expect(offline.output).toContain('network access is disabled in this sandbox');

    const unrelated = await shellTool.run({ command: 'echo "test failed" >&2; exit 1' }, context);
    expect(unrelated.output).not.toContain('network access is disabled');
  });

  it('cuts long output to the model budget, keeping head and tail and saying what was cut', async () => {
    const tool = createShellTool({ maxOutputBytes: 2048 });
    const result = await tool.run({ command: 'seq 1 100000' }, context);
    expect(result.ok).toBe(true);
    expect(result.output).toMatch(
      /Output \(588895 bytes in all; the middle was cut, head and tail kept\):\n1\n2\n3\n/,
    );
    expect(result.output).toMatch(/\[\.\.\. \d+ lines \(\d+ bytes\) cut \.\.\.\]/);
    expect(result.output.endsWith('99999\n100000')).toBe(true);
    expect(Buffer.byteLength(result.output)).toBeLessThan(2048 + 300);
  });

  it('kills a command at timeout_ms and says so', async () => {
    const result = await shellTool.run({ command: 'sleep 30', timeout_ms: 300 }, context);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/timed out after 300 ms/);
  });

  it('clamps timeout_ms to the maximum', async () => {
    let seen = 0;
    const spy: Sandbox = {
      policy: 'workspace-write',
      workspace,
      run: async (request) => {
        seen = request.timeoutMs;
        return context.sandbox.run({ ...request, argv: ['true'] });
      },
    };
    const tool = createShellTool({ maxTimeoutMs: 5000 });
    await tool.run({ command: 'true', timeout_ms: 10_000_000 }, { ...context, sandbox: spy });
    expect(seen).toBe(5000);
  });

  it('tells the model what Patchling removed from the workspace after the command', async () => {
    const result = await shellTool.run(
      { command: 'mkdir -p nested && git init -q nested && mkfifo pipe && echo done' },
      context,
    );
    expect(result.ok).toBe(true);
    expect(result.output).toContain('After the command, Patchling changed the workspace:');
    expect(result.output).toContain('- Removed the nested git repository "nested/.git"');
    expect(result.output).toContain('- Removed the FIFO "pipe"');
    expect(existsSync(path.join(workspace, 'nested', '.git'))).toBe(false);
    expect(existsSync(path.join(workspace, 'pipe'))).toBe(false);
  });

  it('says when a process was killed for memory', async (test) => {
    if ((await detectMemoryLimit()).kind !== 'cgroup') return test.skip(); // RLIMIT_AS: a RangeError
    const small = await openSandbox({ workspace, limits: { maxMemoryBytes: 128 * 1024 * 1024 } });
    const result = await shellTool.run(
      { command: 'node -e "const a = []; for (;;) a.push(Buffer.alloc(2 ** 24, 1))"' },
      { ...context, sandbox: small },
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain('Memory: a process was killed for using more memory');
  });

  it('publishes a schema with described fields for the model', () => {
    const shape = shellTool.parameters.shape;
    for (const field of Object.values(shape)) expect(field.description).toBeTruthy();
    expect(shellTool.mutating).toBe(true);
  });
});
