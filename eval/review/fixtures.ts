/**
 * The fixture pull requests: reading them from eval/review/fixtures, and turning one into
 * a real git repository (a base commit, a head commit checked out) to review.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { ReviewOutput } from '../../src/jobs/review/finding.js';
import type { ExpectedFinding } from './score.js';

const run = promisify(execFile);

export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const LineRange = z
  .tuple([z.number().int().positive(), z.number().int().positive()])
  .refine(([start, end]) => start <= end, 'lines must be [start, end] with start <= end');

const Expected = z.strictObject({
  /** What the fixture tests, for people and the report. Never shown to the model. */
  description: z.string().min(1),
  /** The pull request's title and body, shown to the model as the App shows them. */
  title: z.string().min(1),
  body: z.string(),
  findings: z.array(
    z.strictObject({
      path: z.string().min(1),
      lines: LineRange,
      keywords: z.array(z.string().min(1)).min(1),
    }),
  ),
});

const Count = z.number().int().min(0);

const Scripted = z.strictObject({
  /** Why the scripted model answers this way. */
  note: z.string().min(1),
  /** The ReviewOutput the scripted model gives as its final answer. */
  answer: ReviewOutput,
  /** The score the pipeline must produce from that answer (the scripted gate). */
  score: z.strictObject({ truePositives: Count, falsePositives: Count, falseNegatives: Count }),
});
export type ScriptedReview = z.infer<typeof Scripted>;

export interface Fixture {
  readonly name: string;
  readonly description: string;
  readonly title: string;
  readonly body: string;
  /** Relative path → content, the tree of the base commit. */
  readonly base: Readonly<Record<string, string>>;
  /** Relative path → content, the whole tree of the head commit. */
  readonly head: Readonly<Record<string, string>>;
  readonly expected: readonly ExpectedFinding[];
  readonly scripted: ScriptedReview;
}

/** Every fixture under `dir` (one directory each), by name; `only` keeps those named. */
export async function loadFixtures(
  dir: string = FIXTURES_DIR,
  only: readonly string[] = [],
): Promise<Fixture[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new Error(`No such fixture: ${unknown.join(', ')} (have: ${names.join(', ')}).`);
  }
  const chosen = only.length === 0 ? names : names.filter((name) => only.includes(name));
  return Promise.all(chosen.map((name) => loadFixture(path.join(dir, name))));
}

export async function loadFixture(dir: string): Promise<Fixture> {
  const name = path.basename(dir);
  const expected = parseOrExplain(Expected, await readJson(path.join(dir, 'expected.json')), {
    file: `${name}/expected.json`,
  });
  const scripted = parseOrExplain(Scripted, await readJson(path.join(dir, 'scripted.json')), {
    file: `${name}/scripted.json`,
  });
  const base = await readTree(path.join(dir, 'base'));
  const head = await readTree(path.join(dir, 'head'));
  if (Object.keys(head).length === 0) throw new Error(`${name}/head holds no files.`);
  for (const finding of expected.findings) {
    const content = head[finding.path];
    if (content === undefined) {
      throw new Error(`${name}/expected.json names ${finding.path}, which is not in head/.`);
    }
    const lines = content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
    if (finding.lines[1] > lines) {
      throw new Error(
        `${name}/expected.json: ${finding.path} has ${lines} lines, not ${finding.lines[1]}.`,
      );
    }
  }
  return {
    name,
    description: expected.description,
    title: expected.title,
    body: expected.body,
    base,
    head,
    expected: expected.findings,
    scripted,
  };
}

export interface FixtureRepo {
  /** The checkout, at the head commit (real path). */
  readonly dir: string;
  readonly baseSha: string;
  readonly headSha: string;
  remove(): Promise<void>;
}

/**
 * A fresh repository in a temp directory under `parent`: `base` committed on main, then
 * the head tree committed on a branch and left checked out, as the App's checkout of a
 * pull request is. Identity and signing are set per command, so the host's git config
 * does not matter.
 */
export async function createFixtureRepo(
  fixture: Fixture,
  parent = os.tmpdir(),
): Promise<FixtureRepo> {
  await mkdir(parent, { recursive: true });
  const dir = await realpath(await mkdtemp(path.join(parent, `patchling-eval-${fixture.name}-`)));
  const git = async (...args: string[]) =>
    (
      await run(
        'git',
        [
          '-c',
          'user.name=Patchling Eval',
          '-c',
          'user.email=eval@patchling.invalid',
          '-c',
          'commit.gpgsign=false',
          '-c',
          'init.defaultBranch=main',
          ...args,
        ],
        { cwd: dir },
      )
    ).stdout.trim();
  try {
    await git('init', '-q');
    await writeTree(dir, fixture.base);
    await git('add', '-A');
    await git('commit', '-q', '--allow-empty', '-m', 'base');
    const baseSha = await git('rev-parse', 'HEAD');
    await git('checkout', '-q', '-b', 'feature');
    for (const file of Object.keys(fixture.base)) {
      if (!(file in fixture.head)) await rm(path.join(dir, file));
    }
    await writeTree(dir, fixture.head);
    await git('add', '-A');
    await git('commit', '-q', '--allow-empty', '-m', fixture.title);
    const headSha = await git('rev-parse', 'HEAD');
    return { dir, baseSha, headSha, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function writeTree(root: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** Every file under `root`, by its path relative to it with `/` separators. */
async function readTree(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  if (!existsSync(root)) return files;
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, absolute).split(path.sep).join('/');
    files[relative] = await readFile(absolute, 'utf8');
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

function parseOrExplain<T>(schema: z.ZodType<T>, value: unknown, where: { file: string }): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(`${where.file} is not valid:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}
