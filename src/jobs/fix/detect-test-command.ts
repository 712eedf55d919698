import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readWorkspaceFile } from '../../workspace/read-workspace-file.js';

/** npm's placeholder for a package without tests: running it proves nothing. */
const NPM_PLACEHOLDER = /no test specified/;

export interface DetectedTestCommand {
  readonly command: string;
  /** Where it came from, e.g. "package.json scripts.test", for the PR body. */
  readonly source: string;
}

/**
 * The command that proves a change, found from the repository's own files when the
 * config names none: package.json's test script, a Makefile's `test` target, pytest for a
 * pyproject.toml, `go test` for go.mod, `cargo test` for Cargo.toml. First match wins, in
 * that order. Files are read, never executed.
 */
export async function detectTestCommand(
  workspace: string,
): Promise<DetectedTestCommand | undefined> {
  // Through the workspace guard: a FIFO or a symlink out named package.json is not read.
  const read = (file: string) => readWorkspaceFile(workspace, file).catch(() => undefined);
  // A lock file can be megabytes: only whether it is there matters.
  const exists = (file: string) =>
    stat(path.join(workspace, file)).then(
      (info) => info.isFile(),
      () => false,
    );

  const pkg = await read('package.json');
  if (pkg !== undefined) {
    const test = testScript(pkg);
    if (test !== undefined) {
      const runner = (await exists('pnpm-lock.yaml'))
        ? 'pnpm'
        : (await exists('yarn.lock'))
          ? 'yarn'
          : 'npm';
      return { command: `${runner} test`, source: 'package.json scripts.test' };
    }
  }
  const makefile = (await read('Makefile')) ?? (await read('makefile'));
  if (makefile !== undefined && /^test\s*::?(?![:=])/m.test(makefile)) {
    return { command: 'make test', source: 'the Makefile test target' };
  }
  if (await exists('pyproject.toml')) {
    return { command: 'python3 -m pytest -q', source: 'pyproject.toml' };
  }
  if (await exists('go.mod')) return { command: 'go test ./...', source: 'go.mod' };
  if (await exists('Cargo.toml')) return { command: 'cargo test', source: 'Cargo.toml' };
  return undefined;
}

function testScript(packageJson: string): string | undefined {
  try {
    const parsed = JSON.parse(packageJson) as { scripts?: Record<string, unknown> };
    const test = parsed.scripts?.test;
    return typeof test === 'string' && test.trim() !== '' && !NPM_PLACEHOLDER.test(test)
      ? test
      : undefined;
  } catch {
    return undefined;
  }
}
