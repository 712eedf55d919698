import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ReviewOutput } from '../../src/jobs/review/finding.js';
import { step, type RecordedRequest, type ScriptStep } from './model-server/index.js';

const run = promisify(execFile);

/** Tokens of diff per batch that put each file of a MultiBatchChange in a batch of its own. */
export const ONE_FILE_PER_BATCH_TOKENS = 1_000;

export interface MultiBatchChange {
  /** The head's checkout (real path). */
  readonly dir: string;
  /** `git diff` from the base (no files) to the head. */
  readonly diff: string;
  /** The files, in the order the batches are planned. */
  readonly files: readonly string[];
  remove(): Promise<void>;
}

/**
 * A change that adds `count` files of ~3,000 characters each: with
 * ONE_FILE_PER_BATCH_TOKENS, one batch per file. A real repository, so the review's
 * read-only sandbox has a real checkout to stand in.
 */
export async function makeMultiBatchChange(count: number): Promise<MultiBatchChange> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-batches-')));
  const git = async (...args: string[]) =>
    (
      await run(
        'git',
        [
          '-c',
          'user.name=Patchling Test',
          '-c',
          'user.email=test@patchling.invalid',
          '-c',
          'commit.gpgsign=false',
          '-c',
          'init.defaultBranch=main',
          ...args,
        ],
        { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
      )
    ).stdout;
  const files = Array.from(
    { length: count },
    (_, i) => `src/part${String(i + 1).padStart(2, '0')}.js`,
  );
  try {
    await git('init', '-q');
    await git('commit', '-q', '--allow-empty', '-m', 'base');
    await run('mkdir', ['-p', path.join(dir, 'src')]);
    for (const [i, file] of files.entries()) {
      const lines = Array.from(
        { length: 50 },
        (_, line) =>
          `export const part${i + 1}_${line} = ${line} * 1000 + ${i}; // line ${line + 1}\n`,
      );
      await writeFile(path.join(dir, file), lines.join(''));
    }
    await git('add', '-A');
    await git('commit', '-q', '-m', 'head');
    const diff = await git(
      'diff',
      '--no-color',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      'HEAD~1',
      'HEAD',
    );
    return { dir, diff, files, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The one file of the batch a review request is about (from its `diff --git` line). */
export function batchFileOf(request: RecordedRequest): string {
  const match = /diff --git a\/(\S+) b\//.exec(request.rawBody);
  if (!match?.[1]) throw new Error('the request holds no diff');
  return match[1];
}

/**
 * Answers any batch's request with one finding on its file, line 1 (P1), whichever order
 * the requests arrive in.
 */
export function answerEachBatch(): ScriptStep {
  return {
    kind: 'respond',
    fn: (request) => {
      const file = batchFileOf(request);
      const output: ReviewOutput = {
        verdict: 'issues_found',
        summary: `Summary of ${file}.`,
        findings: [
          {
            title: `Constant in ${file} is wrong`,
            explanation: `The first constant of ${file} is off.`,
            priority: 'P1',
            confidence: 0.9,
            path: file,
            start_line: 1,
            end_line: 1,
            suggestion: null,
          },
        ],
      };
      return step.text(JSON.stringify(output));
    },
  };
}
