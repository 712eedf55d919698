import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ACTION_INPUTS,
  ACTION_OUTPUTS,
  DEFAULT_MAX_TURNS,
  DEFAULT_TIMEOUT,
} from '../../src/triggers/action/inputs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ActionYml {
  runs: { using: string; main: string };
  inputs: Record<string, { required?: boolean; default?: string; description: string }>;
  outputs: Record<string, { description: string }>;
}

const actionYml = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml;

describe('action.yml', () => {
  it('runs the committed bootstrap on node24', () => {
    expect(actionYml.runs).toEqual({ using: 'node24', main: 'action/main.mjs' });
    expect(existsSync(path.join(ROOT, actionYml.runs.main))).toBe(true);
  });

  it('declares exactly the inputs the entry reads, each described', () => {
    expect(Object.keys(actionYml.inputs).sort()).toEqual([...ACTION_INPUTS].sort());
    for (const input of Object.values(actionYml.inputs)) expect(input.description).toBeTruthy();
  });

  it('is the only list of inputs: nothing else reads INPUT_ variables', () => {
    const dir = path.join(ROOT, 'src/triggers/action');
    const files = readdirSync(dir).map((name) => path.join(dir, name));
    for (const file of [...files, path.join(ROOT, 'src/triggers/action.ts')]) {
      if (/(inputs|runner)\.ts$/.test(file)) continue;
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/readInput\(|INPUT_/);
    }
  });

  it('declares exactly the outputs the entry writes', () => {
    expect(Object.keys(actionYml.outputs).sort()).toEqual([...ACTION_OUTPUTS].sort());
  });

  it("defaults to the workflow's token and to the entry's own defaults", () => {
    // Not required: a local server takes no key; the entry stops without one for the others.
    expect(actionYml.inputs['api-key']?.required).toBe(false);
    expect(actionYml.inputs['api-key']?.description).toMatch(/local server\s+needs none/);
    expect(actionYml.inputs['github-token']?.default).toBe('${{ github.token }}');
    expect(actionYml.inputs['command-name']?.default).toBe('patchling');
    expect(actionYml.inputs['max-turns']?.default).toBe(String(DEFAULT_MAX_TURNS));
    expect(actionYml.inputs.timeout?.default).toBe(DEFAULT_TIMEOUT);
  });

  it('has a bootstrap that loads the compiled entry of src/triggers/action.ts', () => {
    const bootstrap = readFileSync(path.join(ROOT, 'action/main.mjs'), 'utf8');
    expect(bootstrap).toContain("path.join(root, 'dist', 'triggers', 'action.js')");
    expect(existsSync(path.join(ROOT, 'src/triggers/action.ts'))).toBe(true);
  });
});

describe('action/main.mjs', () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A stand-in for the Action's directory: the bootstrap, and an entry that reports. */
  function fakeAction(options: { built: boolean }): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'patchling-bootstrap-'));
    temps.push(dir);
    mkdirSync(path.join(dir, 'action'));
    copyFileSync(path.join(ROOT, 'action/main.mjs'), path.join(dir, 'action/main.mjs'));
    const entry = [
      "import { writeFileSync } from 'node:fs';",
      'export async function main(env) {',
      "  process.stdout.write(`entry ran with ${env['INPUT_API-KEY']}\\n`);",
      '  return 3;',
      '}',
      '',
    ].join('\n');
    // `npm ci` runs `prepare`, which builds dist/; here it writes the entry, and records
    // whether the install saw the inputs.
    writeFileSync(
      path.join(dir, 'build.mjs'),
      [
        "import { mkdirSync, writeFileSync } from 'node:fs';",
        "mkdirSync('dist/triggers', { recursive: true });",
        `writeFileSync('dist/triggers/action.js', ${JSON.stringify(entry)});`,
        "writeFileSync('install-env.json', JSON.stringify({ key: process.env['INPUT_API-KEY'] ?? null, runtime: process.env.ACTIONS_RUNTIME_TOKEN ?? null }));",
        '',
      ].join('\n'),
    );
    const pkg = {
      name: 'fake-action',
      version: '1.0.0',
      private: true,
      scripts: { prepare: 'node build.mjs' },
    };
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
    writeFileSync(
      path.join(dir, 'package-lock.json'),
      JSON.stringify({
        name: pkg.name,
        version: pkg.version,
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: pkg.name, version: pkg.version } },
      }),
    );
    if (options.built) {
      mkdirSync(path.join(dir, 'dist/triggers'), { recursive: true });
      writeFileSync(path.join(dir, 'dist/triggers/action.js'), entry);
    }
    return dir;
  }

  function runBootstrap(dir: string) {
    return spawnSync(process.execPath, [path.join(dir, 'action/main.mjs')], {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        'INPUT_API-KEY': 'sk-test-key-123456',
        ACTIONS_RUNTIME_TOKEN: 'runtime-token-123456',
        npm_config_offline: 'true',
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
  }

  it('runs the built entry with the runner environment and exits with its code', () => {
    const dir = fakeAction({ built: true });
    const result = runBootstrap(dir);
    expect(result.stdout).toContain('entry ran with sk-test-key-123456');
    expect(result.stdout).not.toContain('npm ci');
    expect(result.status).toBe(3);
  });

  it('installs first when dist/ is missing, in a group, without the inputs or runner tokens', () => {
    const dir = fakeAction({ built: false });
    const result = runBootstrap(dir);
    expect(result.stdout).toContain('::group::Installing Patchling');
    expect(result.stdout).toContain('::endgroup::');
    expect(result.stdout).toContain('entry ran with sk-test-key-123456');
    expect(result.status).toBe(3);
    expect(JSON.parse(readFileSync(path.join(dir, 'install-env.json'), 'utf8'))).toEqual({
      key: null,
      runtime: null,
    });
  });
});
