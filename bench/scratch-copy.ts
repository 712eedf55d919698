import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeScratchCopy } from '../src/jobs/review/scratch-copy.js';
import { makeGitRepo } from '../test/support/git-repo.js';
import { median, round, type BenchResult } from './bench-result.js';

const PACKAGES = 2_000;
const FILES_PER_PACKAGE = 5;
const FILE_BYTES = 10 * 1024;
const RUNS = 3;

/**
 * A prover's scratch copy of a checkout with a large node_modules (installed, ignored):
 * the whole tree copied (as before) against the copy that leaves the dependency trees out
 * and shows them read-only in the sandbox. Time per copy (median of three) and the bytes
 * each copy writes. On a filesystem with reflinks (btrfs, xfs) both are cheap; on ext4 the
 * full copy is a real one.
 */
export async function benchScratchCopy(): Promise<BenchResult[]> {
  const files: Record<string, string> = { '.gitignore': 'node_modules/\n' };
  for (let i = 0; i < 200; i++) files[`src/module-${i}.js`] = `export const m${i} = ${i};\n`;
  const repo = await makeGitRepo(files, 'patchling-bench-copy-');
  try {
    const body = 'x'.repeat(FILE_BYTES);
    for (let p = 0; p < PACKAGES; p++) {
      const dir = path.join(repo.dir, 'node_modules', `pkg-${p}`);
      await mkdir(dir, { recursive: true });
      for (let f = 0; f < FILES_PER_PACKAGE; f++)
        await writeFile(path.join(dir, `file-${f}.js`), body);
    }
    const measure = async (shareDependencies: boolean) => {
      const times: number[] = [];
      let bytes = 0;
      let count = 0;
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        const copy = await makeScratchCopy(repo.dir, undefined, { shareDependencies });
        times.push(performance.now() - started);
        ({ bytes, count } = await treeSize(copy.dir));
        await copy.remove();
      }
      return { ms: median(times), bytes, count };
    };
    const full = await measure(false);
    const shared = await measure(true);
    const note = `${PACKAGES * FILES_PER_PACKAGE} files (${round((PACKAGES * FILES_PER_PACKAGE * FILE_BYTES) / 2 ** 20, 0)} MiB) in node_modules, 200 source files`;
    return [
      { name: 'scratch.copy.full.p50', value: round(full.ms, 0), unit: 'ms', note },
      { name: 'scratch.copy.shared-deps.p50', value: round(shared.ms, 0), unit: 'ms', note },
      { name: 'scratch.copy.full.bytes', value: full.bytes, unit: 'bytes', note },
      { name: 'scratch.copy.shared-deps.bytes', value: shared.bytes, unit: 'bytes', note },
      { name: 'scratch.copy.full.files', value: full.count, unit: 'files', note },
      { name: 'scratch.copy.shared-deps.files', value: shared.count, unit: 'files', note },
    ];
  } finally {
    await repo.remove();
  }
}

/** Bytes and regular files under `dir` (apparent sizes; links not followed). */
async function treeSize(dir: string): Promise<{ bytes: number; count: number }> {
  let bytes = 0;
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await lstat(path.join(entry.parentPath, entry.name))).size;
    count++;
  }
  return { bytes, count };
}
