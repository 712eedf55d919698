import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import { createSearchTool, searchTool } from '../../src/tools/search.js';
import type { ToolContext } from '../../src/tools/types.js';
import { closeSandboxes, openSandbox } from '../sandbox/helpers.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'patchling-search-'));
});
afterAll(async () => {
  await closeSandboxes();
  await rm(root, { recursive: true, force: true });
});

async function makeWorkspace(name: string, git: boolean): Promise<ToolContext> {
  const workspace = path.join(root, name);
  await mkdir(path.join(workspace, 'src'), { recursive: true });
  await writeFile(
    path.join(workspace, 'src', 'a.ts'),
    'export const needle = 1;\nconst other = 2;\n',
  );
  await writeFile(
    path.join(workspace, 'src', 'b.ts'),
    'import { needle } from "./a";\nNeedle(a.b);\n',
  );
  await writeFile(path.join(workspace, 'README.md'), 'no match here\n');
  await writeFile(
    path.join(workspace, 'image.bin'),
    Buffer.from([0, 1, 2, 110, 101, 101, 100, 108, 101]),
  );
  if (git) {
    const run = (...args: string[]): void => {
      execFileSync('git', ['-C', workspace, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    };
    run('init', '-q');
    run('add', 'src/a.ts', 'README.md');
    run('commit', '-q', '-m', 'init');
    // src/b.ts stays untracked: new files the agent wrote must be found too.
  }
  const sandbox = await openSandbox({ workspace });
  return { workspace, sandbox, signal: new AbortController().signal, emit: () => undefined };
}

describe.each([
  ['a git repository', true],
  ['a plain directory', false],
])('search tool in %s', (name, git) => {
  let context: ToolContext;
  beforeAll(async () => {
    context = await makeWorkspace(name.replaceAll(' ', '-'), git);
  });

  it('finds matches as path:line:text, untracked files included, binaries skipped', async () => {
    const result = await searchTool.run({ pattern: 'needle' }, context);
    expect(result.ok).toBe(true);
    expect(result.output.split('\n').sort()).toEqual([
      'src/a.ts:1:export const needle = 1;',
      'src/b.ts:1:import { needle } from "./a";',
    ]);
  });

  it('reports no match as a normal outcome', async () => {
    const result = await searchTool.run({ pattern: 'does-not-occur-anywhere' }, context);
    expect(result).toEqual({ ok: true, output: 'No matches.' });
  });

  it('limits the search to a path, with fixed strings and ignoring case', async () => {
    const result = await searchTool.run(
      { pattern: 'needle(a.b', path: 'src/b.ts', fixed_strings: true, case_insensitive: true },
      context,
    );
    expect(result).toEqual({ ok: true, output: 'src/b.ts:2:Needle(a.b);' });
  });

  it('refuses a path outside the workspace', async () => {
    for (const escape of ['..', '/etc', 'src/../../']) {
      const result = await searchTool.run({ pattern: 'root', path: escape }, context);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/outside the workspace/);
    }
  });

  it('says when results were cut', async () => {
    const tool = createSearchTool();
    const result = await tool.run({ pattern: '.', max_results: 1 }, context);
    expect(result.ok).toBe(true);
    const lines = result.output.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\[Showing 1 of \d+ matching lines/);
  });

  it('reports a bad regex as a failure', async () => {
    const result = await searchTool.run({ pattern: 'a(' }, context);
    expect(result.ok).toBe(false);
  });
});

describe('search tool and hostile repositories', () => {
  it('runs git only through the sandbox, with fsmonitor switched off', async () => {
    const context = await makeWorkspace('recorded', true);
    const seen: (readonly string[])[] = [];
    const recording: Sandbox = {
      policy: context.sandbox.policy,
      workspace: context.sandbox.workspace,
      run: (request) => {
        seen.push(request.argv);
        return context.sandbox.run(request);
      },
    };
    const result = await searchTool.run({ pattern: 'needle' }, { ...context, sandbox: recording });
    expect(result.ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toBe('git');
    expect(seen[0]).toContain('core.fsmonitor=false');
  });

  it('never runs git on the host: a core.fsmonitor command in .git/config does not run there', async () => {
    const context = await makeWorkspace('hostile', true);
    const marker = path.join(root, 'fsmonitor-ran');
    execFileSync('git', ['-C', context.workspace, 'config', 'core.fsmonitor', `touch ${marker}`]);
    const result = await searchTool.run({ pattern: 'needle' }, context);
    expect(result.ok).toBe(true);
    expect(result.output).toContain('src/a.ts:1:');
    expect(existsSync(marker)).toBe(false);
  });
});
