import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllowlist } from '../src/egress/allowlist.js';
import { defaultRepoConfig } from '../src/jobs/repo-config.js';
import { runSetupPhase, type SetupOutcome } from '../src/setup/run-setup-phase.js';
import { makeGitRepo } from '../test/support/git-repo.js';
import { npmDependencyRepoFiles, TINY_SUM } from '../test/support/npm-dependency-repo.js';
import { startNpmRegistry } from '../test/support/npm-registry.js';
import { median, round, type BenchResult } from './bench-result.js';

const run = promisify(execFile);
const RUNS = 3;

/**
 * The setup phase on a repository whose lockfile needs one package from a registry on
 * loopback (verdaccio, no uplinks): the first setup (npm ci through the egress proxy, in
 * the sandbox, then archived into the cache) against a cached one (restored in the
 * sandbox, with the registry stopped). Each first setup starts from an empty cache.
 */
export async function benchSetup(): Promise<BenchResult[]> {
  const registry = await startNpmRegistry();
  const scratch = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-setup-')));
  try {
    await registry.publish(TINY_SUM.name, TINY_SUM.version, TINY_SUM.files);
    const repo = await makeGitRepo(await npmDependencyRepoFiles(registry));
    const network = {
      allow: parseAllowlist(`127.0.0.1:${registry.port}`, 'bench'),
      agent: 'none' as const,
    };
    const settings = defaultRepoConfig().setup;
    let clones = 0;
    const setupIn = async (stateDir: string): Promise<SetupOutcome> => {
      const dir = path.join(scratch, `clone-${clones++}`);
      await run('git', ['clone', '-q', repo.dir, dir]);
      return runSetupPhase({
        workspace: await realpath(dir),
        settings,
        network,
        stateDir,
        cacheScope: 'bench',
      });
    };
    const first: number[] = [];
    const cached: number[] = [];
    const states: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const stateDir = path.join(scratch, `state-${i}`);
      states.push(stateDir);
      const outcome = await setupIn(stateDir);
      if (outcome.status !== 'installed')
        throw new Error(`first setup: ${JSON.stringify(outcome)}`);
      first.push(outcome.durationMs);
    }
    await registry.stop();
    for (const stateDir of states) {
      const outcome = await setupIn(stateDir);
      if (outcome.status !== 'restored')
        throw new Error(`cached setup: ${JSON.stringify(outcome)}`);
      cached.push(outcome.durationMs);
    }
    await repo.remove();
    return [
      {
        name: 'setup, first (npm ci through the proxy, then cached), median',
        value: round(median(first), 0),
        unit: 'ms',
        note: `${RUNS} runs: ${first.join(', ')}`,
      },
      {
        name: 'setup, from the cache (registry stopped), median',
        value: round(median(cached), 0),
        unit: 'ms',
        note: `${RUNS} runs: ${cached.join(', ')}`,
      },
    ];
  } finally {
    await registry.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
