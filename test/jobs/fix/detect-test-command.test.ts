import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectTestCommand } from '../../../src/jobs/fix/detect-test-command.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-detect-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function files(entries: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, content] of Object.entries(entries)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

const packageJson = (scripts: Record<string, unknown>) => JSON.stringify({ name: 'x', scripts });
const NPM = { command: 'npm test', source: 'package.json scripts.test' };
const MAKE = { command: 'make test', source: 'the Makefile test target' };
const PYTEST = { command: 'python3 -m pytest -q', source: 'pyproject.toml' };
const GO = { command: 'go test ./...', source: 'go.mod' };
const CARGO = { command: 'cargo test', source: 'Cargo.toml' };
const NPM_PLACEHOLDER = 'echo "Error: no test specified" && exit 1';

describe('detectTestCommand', () => {
  it('finds nothing in an empty directory', async () => {
    expect(await detectTestCommand(dir)).toBeUndefined();
  });

  describe('package.json scripts.test', () => {
    it('is run with npm by default', async () => {
      await files({ 'package.json': packageJson({ test: 'vitest run' }) });
      expect(await detectTestCommand(dir)).toEqual(NPM);
    });

    it('is run with npm next to package-lock.json', async () => {
      await files({ 'package.json': packageJson({ test: 'jest' }), 'package-lock.json': '{}' });
      expect(await detectTestCommand(dir)).toEqual(NPM);
    });

    it('is run with yarn next to yarn.lock', async () => {
      await files({ 'package.json': packageJson({ test: 'jest' }), 'yarn.lock': '' });
      expect(await detectTestCommand(dir)).toEqual({
        command: 'yarn test',
        source: 'package.json scripts.test',
      });
    });

    it('is run with pnpm next to pnpm-lock.yaml, even with a yarn.lock too', async () => {
      await files({
        'package.json': packageJson({ test: 'jest' }),
        'pnpm-lock.yaml': 'lockfileVersion: 9\n',
        'yarn.lock': '',
      });
      expect(await detectTestCommand(dir)).toEqual({
        command: 'pnpm test',
        source: 'package.json scripts.test',
      });
    });

    it("ignores npm init's placeholder, falling through to the next rule", async () => {
      await files({ 'package.json': packageJson({ test: NPM_PLACEHOLDER }) });
      expect(await detectTestCommand(dir)).toBeUndefined();
      await files({ Makefile: 'test:\n\t./run-tests\n' });
      expect(await detectTestCommand(dir)).toEqual(MAKE);
    });

    it.each([
      ['no scripts', JSON.stringify({ name: 'x' })],
      ['scripts without test', packageJson({ build: 'tsc' })],
      ['an empty test script', packageJson({ test: '  ' })],
      ['a test script that is not a string', packageJson({ test: ['jest'] })],
      ['scripts that is not an object', JSON.stringify({ scripts: 'jest' })],
      ['invalid JSON', '{ "scripts": { "test": "jest", } '],
      ['JSON that is not an object', 'null'],
    ])('ignores a package.json with %s', async (_what, content) => {
      await files({ 'package.json': content, 'go.mod': 'module example.com/x\n' });
      expect(await detectTestCommand(dir)).toEqual(GO);
    });

    it('ignores a directory named package.json', async () => {
      await mkdir(path.join(dir, 'package.json'));
      expect(await detectTestCommand(dir)).toBeUndefined();
    });
  });

  describe('Makefile', () => {
    it.each([
      ['test:\n\tgo test ./...\n'],
      ['.PHONY: all test\nall: build\n\ntest: build\n\t./run-tests\n'],
      ['test :\n\t./run-tests\n'],
      ['test:: unit\n'],
    ])('finds a test target in %j', async (content) => {
      await files({ Makefile: content });
      expect(await detectTestCommand(dir)).toEqual(MAKE);
    });

    it('reads a lowercase makefile', async () => {
      await files({ makefile: 'test:\n\t./run-tests\n' });
      expect(await detectTestCommand(dir)).toEqual(MAKE);
    });

    it.each([
      ['no test target', 'all:\n\tcc main.c\n'],
      ['only targets that start with test', 'tests:\n\t./a\ntest-unit:\n\t./b\n'],
      ['test only as a prerequisite', 'check: test\n'],
      ['an indented test:', 'all:\n\techo test: done\n'],
    ])('finds nothing with %s', async (_what, content) => {
      await files({ Makefile: content });
      expect(await detectTestCommand(dir)).toBeUndefined();
    });

    // BUG (src/jobs/fix/detect-test-command.ts, /^test\s*:/m): a variable assignment
    // `test := …` (or `::=`) is taken for a target, so `make test` is run and fails with
    // "No rule to make target", reported as failing tests. Remove `.fails` once the
    // pattern excludes assignments, e.g. /^test\s*::?(?![:=])/m.
    it('finds nothing in a Makefile that only assigns a variable named test', async () => {
      await files({ Makefile: 'test := unit\nall:\n\techo $(test)\n' });
      expect(await detectTestCommand(dir)).toBeUndefined();
    });
  });

  it('runs pytest for a pyproject.toml', async () => {
    await files({ 'pyproject.toml': '[project]\nname = "x"\n' });
    expect(await detectTestCommand(dir)).toEqual(PYTEST);
  });

  it('runs go test for a go.mod', async () => {
    await files({ 'go.mod': 'module example.com/x\n' });
    expect(await detectTestCommand(dir)).toEqual(GO);
  });

  it('runs cargo test for a Cargo.toml', async () => {
    await files({ 'Cargo.toml': '[package]\nname = "x"\n' });
    expect(await detectTestCommand(dir)).toEqual(CARGO);
  });

  it('looks only at the root of the workspace', async () => {
    await files({
      'sub/package.json': packageJson({ test: 'jest' }),
      'sub/Makefile': 'test:\n',
      'sub/go.mod': 'module x\n',
    });
    expect(await detectTestCommand(dir)).toBeUndefined();
  });

  describe('precedence: package.json, Makefile, pyproject.toml, go.mod, Cargo.toml', () => {
    const ALL = {
      'package.json': packageJson({ test: 'jest' }),
      Makefile: 'test:\n\t./run-tests\n',
      'pyproject.toml': '[project]\n',
      'go.mod': 'module x\n',
      'Cargo.toml': '[package]\n',
    };
    const ORDER = [
      ['package.json', NPM],
      ['Makefile', MAKE],
      ['pyproject.toml', PYTEST],
      ['go.mod', GO],
      ['Cargo.toml', CARGO],
    ] as const;

    it.each(ORDER.map(([file, expected], index) => [file, expected, index] as const))(
      '%s wins over every later rule',
      async (_file, expected, index) => {
        const present = Object.fromEntries(ORDER.slice(index).map(([name]) => [name, ALL[name]]));
        await files(present);
        expect(await detectTestCommand(dir)).toEqual(expected);
      },
    );
  });

  it('reads the files without running anything', async () => {
    // A test script that would leave a mark if it ran.
    const marker = path.join(dir, 'ran');
    await files({ 'package.json': packageJson({ test: `touch ${marker}` }), Makefile: 'test:\n' });
    expect(await detectTestCommand(dir)).toEqual(NPM);
    expect(existsSync(marker)).toBe(false);
  });
});
