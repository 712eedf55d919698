import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FixOutput } from '../../src/jobs/fix/fix-output.js';
import { step, type ScriptStep } from '../support/model-server/index.js';
import { inputOf, textOfItem, type Scenario } from './harness.js';

const run = promisify(execFile);

/** A CLI fix run starts the agent's sandbox, then a second one for the tests. */
export const FIX_RUN_TIMEOUT_MS = 90_000;
/** Per test (and hook): one or two fix runs. */
export const FIX_TEST_TIMEOUT_MS = 180_000;

/** The identity a repository's own config gives its user, for --branch. */
export const USER_IDENTITY = { name: 'Fix User', email: 'fix.user@example.invalid' } as const;

/** The fixture's package.json, with this `scripts.test`. */
export function fixturePackageJson(testScript: string): string {
  return `${JSON.stringify(
    { name: 'fix-fixture', private: true, type: 'module', scripts: { test: testScript } },
    null,
    2,
  )}\n`;
}

/**
 * A repository whose test fails until sum() adds: `npm test` (package.json scripts.test)
 * runs test.js, which also writes coverage.txt, as a coverage tool would.
 */
export const FIX_REPO_FILES: Readonly<Record<string, string>> = {
  'package.json': fixturePackageJson('node test.js'),
  'sum.js': 'export const sum = (a, b) => a - b;\n',
  'test.js':
    "import { writeFileSync } from 'node:fs';\n" +
    "import { sum } from './sum.js';\n" +
    "writeFileSync('coverage.txt', 'sum.js 100%\\n');\n" +
    "console.log('wrote coverage.txt');\n" +
    "if (sum(2, 3) !== 5) { console.error('FAIL: sum(2, 3) = ' + sum(2, 3)); process.exit(1); }\n" +
    "console.log('PASS');\n",
};

export const SUM_BROKEN = 'export const sum = (a, b) => a - b;\n';
export const SUM_FIXED = 'export const sum = (a, b) => a + b;\n';
/** A change that is not the fix: sum(2, 3) is then 6. */
export const SUM_STILL_WRONG = 'export const sum = (a, b) => a * b;\n';

/** An apply_patch input replacing sum.js's one line with `replacement`. */
export function sumPatch(replacement: string): string {
  return `*** Begin Patch\n*** Update File: sum.js\n@@\n-${SUM_BROKEN.trimEnd()}\n+${replacement.trimEnd()}\n*** End Patch`;
}

/** An apply_patch input adding one file. */
export function addFilePatch(file: string, content: string): string {
  const lines = content.trimEnd().split('\n');
  return `*** Begin Patch\n*** Add File: ${file}\n${lines.map((line) => `+${line}`).join('\n')}\n*** End Patch`;
}

export const FIX_SUMMARY = 'sum() subtracted instead of adding; it adds now.';

/** The fix run's final report, as the model answers it. */
export function fixAnswer(overrides: Partial<FixOutput> = {}): ScriptStep {
  const answer: FixOutput = {
    summary: FIX_SUMMARY,
    files_changed: ['sum.js'],
    tests: [{ command: 'npm test', passed: true, notes: 'PASS' }],
    risks: '',
    ...overrides,
  };
  return step.text(JSON.stringify(answer));
}

/** apply_patch, then the report. */
export function patchThenAnswer(patch: string, overrides: Partial<FixOutput> = {}): ScriptStep[] {
  return [
    step.toolCalls([{ name: 'apply_patch', arguments: { input: patch }, callId: 'call_patch' }]),
    fixAnswer(overrides),
  ];
}

/**
 * Plain git on a fixture: the host's global and system config ignored, so neither its
 * identity nor its hooks or excludes change a test.
 */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      LC_ALL: 'C',
    },
  });
  return stdout.trim();
}

export const headOf = (dir: string) => git(dir, 'rev-parse', 'HEAD');
export const statusOf = (dir: string) => git(dir, 'status', '--porcelain', '--untracked-files=all');

/** The text of the task message of the run's first request (the last input item). */
export function firstTaskText(scenario: Scenario): string {
  const items = inputOf(scenario.server.requests[0]);
  return textOfItem(items.at(-1));
}

/** The instructions (system prompt) of the run's first request. */
export function firstInstructions(scenario: Scenario): string {
  const body = scenario.server.requests[0]?.body as { instructions?: unknown } | undefined;
  return typeof body?.instructions === 'string' ? body.instructions : '';
}
