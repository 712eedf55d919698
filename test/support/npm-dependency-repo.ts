import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestNpmRegistry } from './npm-registry.js';

const run = promisify(execFile);

/** The package every such repository depends on, published to the test registry. */
export const TINY_SUM = {
  name: 'tiny-sum',
  version: '1.0.0',
  files: { 'index.js': 'exports.sum = (a, b) => a + b;\n' },
} as const;

/**
 * The files of a repository whose code and test need `tiny-sum` from the registry: an
 * .npmrc pointing at it, a real package-lock.json (made by npm against it), and `add`
 * in add.js, which is wrong until fixed when `broken` is set. `npm test` passes only with
 * node_modules installed (and, when broken, after the fix).
 */
export async function npmDependencyRepoFiles(
  registry: TestNpmRegistry,
  options: { broken?: boolean } = {},
): Promise<Record<string, string>> {
  const packageJson = `${JSON.stringify(
    {
      name: 'uses-tiny-sum',
      version: '1.0.0',
      private: true,
      scripts: { test: 'node test.js' },
      dependencies: { [TINY_SUM.name]: TINY_SUM.version },
    },
    null,
    2,
  )}\n`;
  const npmrc = `registry=${registry.url}\n`;
  return {
    'package.json': packageJson,
    '.npmrc': npmrc,
    'package-lock.json': await lockFor(packageJson, npmrc),
    '.gitignore': 'node_modules/\n',
    'add.js':
      "const { sum } = require('tiny-sum');\n" +
      `exports.add = (a, b) => sum(a, ${options.broken ? '-b' : 'b'});\n`,
    'test.js':
      "const { add } = require('./add.js');\n" +
      "if (add(2, 3) !== 5) { console.error('FAIL: add(2, 3) = ' + add(2, 3)); process.exit(1); }\n" +
      "console.log('PASS: add(2, 3) = 5 with tiny-sum');\n",
  };
}

/** `npm install --package-lock-only` against the test registry, on the host. */
async function lockFor(packageJson: string, npmrc: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-lock-'));
  try {
    await writeFile(path.join(dir, 'package.json'), packageJson);
    await writeFile(path.join(dir, '.npmrc'), npmrc);
    await run('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, npm_config_cache: path.join(dir, '.npm') },
    });
    return await readFile(path.join(dir, 'package-lock.json'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
