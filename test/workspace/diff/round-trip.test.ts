import { describe, expect, it, onTestFinished } from 'vitest';
import { parseNameStatus } from '../../../src/workspace/git/changed-files.js';
import { DIFF_OPTIONS } from '../../../src/workspace/git/diff-against.js';
import type { DiffFile } from '../../../src/workspace/diff/diff-types.js';
import { parseUnifiedDiff } from '../../../src/workspace/diff/parse-unified-diff.js';
import { renderDiff } from '../../../src/workspace/diff/render-diff.js';
import { createDiffRepo } from './git-diff-fixture.js';
import type { FileChanges } from './git-diff-fixture.js';

/**
 * Random histories (seeded, so a failure replays) of edits, additions, deletions, renames,
 * mode changes and binary changes, on awkward names; each step's diff, under several sets
 * of options, must render back byte for byte, agree with git's own --name-status, and
 * number its lines as the files really are.
 */

interface FileState {
  readonly content: string | Buffer;
  readonly executable: boolean;
}
type Snapshot = ReadonlyMap<string, FileState>;

const NAMES = [
  'plain.txt',
  'src/app.ts',
  'dir with space/file name.txt',
  'ünï/cödé.ts',
  'say "hi".md',
  'tab\tname.txt',
  'a/b/c.js',
  'win/crlf.txt',
  'assets/blob.bin',
  'notes.md',
];

const OPTION_SETS: readonly (readonly string[])[] = [
  [],
  ['--find-renames'],
  ['--no-renames'],
  ['-U0'],
  ['-U8'],
  ['--binary'],
  ['-C', '--find-copies-harder'],
  DIFF_OPTIONS,
];

const STEPS = 20;
const FEATURES = [
  'added',
  'binary',
  'copied',
  'deleted',
  'mode',
  'modified',
  'no-newline',
  'quoted',
  'renamed',
];

/** mulberry32: a small seeded generator. */
function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

function randomText(random: (below: number) => number, name: string): string {
  const eol = name.startsWith('win/') ? '\r\n' : '\n';
  const count = 5 + random(60);
  const lines = Array.from({ length: count }, () => `word${random(15)} ${'x'.repeat(random(4))}`);
  return lines.join(eol) + (random(6) === 0 ? '' : eol);
}

function editText(random: (below: number) => number, name: string, text: string): string {
  const eol = name.startsWith('win/') ? '\r\n' : '\n';
  const lines = text.split(eol);
  const last = lines.pop() ?? '';
  const body = last === '' ? lines : [...lines, last];
  for (let edits = 1 + random(4); edits > 0; edits--) {
    const at = random(body.length + 1);
    const op = random(3);
    if (op === 0) body.splice(at, 1 + random(3));
    else if (op === 1)
      body.splice(at, 0, ...Array.from({ length: 1 + random(3) }, () => `new${random(99)}`));
    else body.splice(at, 1, `changed${random(99)}`);
  }
  if (body.length === 0) return '';
  return body.join(eol) + (random(5) === 0 ? '' : eol);
}

function newContent(random: (below: number) => number, name: string): string | Buffer {
  if (!name.endsWith('.bin')) return randomText(random, name);
  // A NUL byte makes git call it binary.
  return Buffer.from([0, ...Array.from({ length: 20 }, () => random(256))]);
}

/** One step of history: the changes to commit and the snapshot after them. */
function nextStep(random: (below: number) => number, before: Snapshot): [FileChanges, Snapshot] {
  const after = new Map(before);
  const changes: Record<string, FileState | null> = {};
  const set = (name: string, state: FileState | null) => {
    changes[name] = state;
    if (state === null) after.delete(name);
    else after.set(name, state);
  };
  const existing = () => [...after.keys()];
  const missing = () => NAMES.filter((name) => !after.has(name));
  const pick = <T>(items: readonly T[]): T | undefined => items[random(items.length)];
  const add = (target: string, content: string | Buffer) =>
    set(target, { content, executable: false });
  do {
    const op = random(10);
    const name = pick(existing());
    const state = name === undefined ? undefined : after.get(name);
    const text = state !== undefined && !Buffer.isBuffer(state.content) ? state.content : undefined;
    const target = pick(missing());
    if (after.size < 3 && target !== undefined) {
      add(target, newContent(random, target));
    } else if (op < 4 && name !== undefined && state !== undefined) {
      const content = Buffer.isBuffer(state.content)
        ? Buffer.from([...state.content, random(256)])
        : editText(random, name, state.content);
      set(name, { ...state, content });
    } else if (op === 4 && name !== undefined) {
      set(name, null);
    } else if (op < 7 && name !== undefined && text !== undefined && target !== undefined) {
      // A rename (op 5) or a copy (op 6), sometimes with edits.
      if (op === 5) set(name, null);
      add(target, random(2) === 0 ? editText(random, target, text) : text);
    } else if (op === 7 && name !== undefined && state !== undefined) {
      set(name, { ...state, executable: !state.executable });
    } else if (target !== undefined) {
      add(target, newContent(random, target));
    }
  } while (Object.keys(changes).length === 0 || random(3) === 0);
  return [changes, after];
}

/** Checks each numbered line against the text of the files it claims to come from. */
function checkLineNumbers(files: readonly DiffFile[], before: Snapshot, after: Snapshot): void {
  const linesOf = (state: FileState | undefined) =>
    state === undefined || Buffer.isBuffer(state.content) ? undefined : state.content.split('\n');
  for (const file of files) {
    const oldLines = linesOf(before.get(file.oldPath ?? file.path));
    const newLines = linesOf(after.get(file.path));
    for (const hunk of file.hunks) {
      for (const line of hunk.lines) {
        if (line.kind !== 'add') expect(oldLines?.[line.oldLine - 1], file.path).toBe(line.text);
        if (line.kind !== 'del') expect(newLines?.[line.newLine - 1], file.path).toBe(line.text);
      }
    }
  }
}

/** What a parsed file exercises, to show the random history covered the cases. */
function featuresOf(file: DiffFile): string[] {
  const lines = file.hunks.flatMap((hunk) => hunk.lines);
  return [
    file.status,
    ...(file.binary ? ['binary'] : []),
    ...(file.headerLines.some((line) => line.startsWith('old mode')) ? ['mode'] : []),
    ...(file.headerLines[0]?.includes('"') ? ['quoted'] : []),
    ...(lines.some((line) => line.noNewlineAtEnd) ? ['no-newline'] : []),
    ...(lines.some((line) => line.text.endsWith('\r')) ? ['crlf'] : []),
  ];
}

describe('render(parse(diff)) on random histories', () => {
  it.each([1, 2, 3])(
    'seed %i: every diff renders back, names agree, lines are numbered right',
    async (seed) => {
      const random = seededRandom(seed);
      const repo = await createDiffRepo();
      onTestFinished(() => repo.remove());
      let snapshot: Snapshot = new Map();
      let previous = await repo.commit({});
      let checkedDiffs = 0;
      const seen = new Set<string>();
      for (let step = 0; step < STEPS; step++) {
        const [changes, next] = nextStep(random, snapshot);
        const head = await repo.commit(changes);
        for (const options of OPTION_SETS) {
          const diff = await repo.diff(previous, head, options);
          const files = parseUnifiedDiff(diff);
          expect(renderDiff(files)).toBe(diff);
          checkLineNumbers(files, snapshot, next);
          const renames = options.filter((option) => !/^-U|--binary|--unified/.test(option));
          const listed = parseNameStatus(
            await repo.diff(previous, head, ['--name-status', '-z', ...renames]),
          );
          expect(files.map(({ path, status, oldPath }) => ({ path, status, oldPath }))).toEqual(
            listed.map(({ path, status, oldPath }) => ({ path, status, oldPath })),
          );
          for (const feature of files.flatMap(featuresOf)) seen.add(feature);
          checkedDiffs++;
        }
        previous = head;
        snapshot = next;
      }
      expect(checkedDiffs).toBe(STEPS * OPTION_SETS.length);
      // The history really went through the cases worth checking.
      expect([...seen]).toEqual(expect.arrayContaining(FEATURES));
    },
  );
});
