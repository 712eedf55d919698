import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressReporter } from '../../src/github/progress-reporter.js';
import { parseRepoConfig, type RepoConfig } from '../../src/jobs/repo-config.js';
import type { AgentJobDeps } from '../../src/jobs/run-agent-job.js';
import { runJobSetup } from '../../src/jobs/run-job-setup.js';
import { makeGitRepo, type TempGitRepo } from '../support/git-repo.js';

let repo: TempGitRepo | undefined;
let stateDir: string | undefined;
afterEach(async () => {
  await repo?.remove();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

function configWithSetup(): RepoConfig {
  const parsed = parseRepoConfig('setup:\n  run: mkdir -p deps && echo installed > deps/marker\n');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

/** The scopes the setup cache stored entries under, from each entry's metadata. */
async function cachedScopes(dir: string): Promise<string[]> {
  const scopes: string[] = [];
  for (const scopeDir of await readdir(path.join(dir, 'setup-cache'))) {
    for (const file of await readdir(path.join(dir, 'setup-cache', scopeDir))) {
      if (!file.endsWith('.json')) continue;
      const meta = JSON.parse(
        await readFile(path.join(dir, 'setup-cache', scopeDir, file), 'utf8'),
      ) as { scope: string };
      scopes.push(meta.scope);
    }
  }
  return scopes.sort();
}

describe('runJobSetup: what a job caches its setup under', () => {
  it("keeps a pull request head's setup apart from the repository's, which later jobs restore", async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-job-setup-'));
    const logs: Record<string, unknown>[] = [];
    const deps = { stateDir, log: (entry: Record<string, unknown>) => logs.push(entry) };
    const progress = { running: () => undefined } as unknown as ProgressReporter;
    const run = async (pullRequest?: number) => {
      repo = await makeGitRepo({ 'package.json': '{}\n' }, 'patchling-job-setup-repo-');
      const result = await runJobSetup({
        jobId: 'job-1',
        deps: deps as unknown as AgentJobDeps,
        repo: { owner: 'Octo', repo: 'Shop' },
        config: configWithSetup(),
        workspace: repo.dir,
        secrets: [],
        progress,
        signal: new AbortController().signal,
        ...(pullRequest === undefined ? {} : { pullRequest }),
      });
      await repo.remove();
      repo = undefined;
      return result;
    };

    expect(await run(7)).toMatchObject({ ok: true, outcome: { status: 'installed' } });
    // The default branch's job does not restore what the pull request's head installed.
    expect(await run()).toMatchObject({ ok: true, outcome: { status: 'installed' } });
    expect(await run()).toMatchObject({ ok: true, outcome: { status: 'restored' } });
    expect(await cachedScopes(stateDir)).toEqual(['github:octo/shop', 'github:octo/shop#pr-7']);
  });
});
