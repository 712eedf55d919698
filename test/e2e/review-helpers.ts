import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Finding, ReviewOutput } from '../../src/jobs/review/finding.js';
import { step, type RecordedRequest, type ScriptStep } from '../support/model-server/index.js';
import { inputOf, textOfItem } from './harness.js';

const run = promisify(execFile);

/** Plain git for the fixtures: host config ignored, a fixed identity, never signing. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Review Fixture',
      GIT_AUTHOR_EMAIL: 'review@fixture.invalid',
      GIT_COMMITTER_NAME: 'Review Fixture',
      GIT_COMMITTER_EMAIL: 'review@fixture.invalid',
      LC_ALL: 'C',
    },
  });
  return stdout.trim();
}

/** Writes (or, for `null`, deletes) files under `dir`, creating their directories. */
export async function writeFiles(
  dir: string,
  files: Readonly<Record<string, string | null>>,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (content === null) {
      await rm(file, { force: true });
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** Writes the files, stages everything and commits; returns the new commit's SHA. */
export async function commitFiles(
  dir: string,
  files: Readonly<Record<string, string | null>>,
  message: string,
): Promise<string> {
  await writeFiles(dir, files);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A valid finding; each test overrides what it is about. end_line defaults to start_line. */
export function finding(overrides: Partial<Finding> & Pick<Finding, 'path' | 'title'>): Finding {
  const startLine = overrides.start_line ?? 1;
  return {
    explanation: `Explanation of ${overrides.title}.`,
    priority: 'P2',
    confidence: 0.9,
    start_line: startLine,
    end_line: startLine,
    suggestion: null,
    ...overrides,
  };
}

/** The model's final answer for one batch, as the scripted server plays it. */
export function reviewAnswer(
  findings: readonly Finding[],
  summary = findings.length === 0 ? 'Looks fine.' : 'Found problems.',
): ScriptStep {
  const output: ReviewOutput = {
    verdict: findings.length === 0 ? 'no_issues' : 'issues_found',
    summary,
    findings: [...findings],
  };
  return step.text(JSON.stringify(output));
}

/** All user-message text of a Responses request (the environment, the task, the diff). */
export function userTextOf(request: RecordedRequest | undefined): string {
  return inputOf(request)
    .filter((item) => item.type === 'message' && item.role === 'user')
    .map(textOfItem)
    .join('\n');
}

const DIFF_BLOCK = /<untrusted-data source="diff">\n([\s\S]*?)\n<\/untrusted-data>/;

/** The diff a review request carried (the `<untrusted-data source="diff">` block). */
export function diffSent(request: RecordedRequest | undefined): string {
  const match = DIFF_BLOCK.exec(userTextOf(request));
  if (!match) throw new Error('the request holds no diff block');
  return match[1] as string;
}

/** The files a diff names (`diff --git a/x b/x` → x), in order. */
export function filesInDiff(diff: string): string[] {
  return [...diff.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)].map((match) => match[2] as string);
}

/** A JS file of `lines` numbered constants: a diff of some size without repetition. */
export function numberedSource(name: string, lines: number): string {
  return Array.from(
    { length: lines },
    (_, index) => `export const ${name}_${index} = ${index} * 1000 + 42; // line ${index + 1}\n`,
  ).join('');
}
