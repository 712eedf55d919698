import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { networkSettingsFromEnv } from '../../src/egress/network-settings.js';
import { defaultRepoConfig } from '../../src/jobs/repo-config.js';
import { runSetupPhase } from '../../src/setup/run-setup-phase.js';
import { makeGitRepo, type TempGitRepo } from '../support/git-repo.js';

const run = promisify(execFile);
let scratch: string;
let repo: TempGitRepo;

beforeEach(async () => {
  scratch = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-installed-')));
  repo = await makeGitRepo({
    'package.json': '{ "name": "x", "version": "1.0.0" }\n',
    'package-lock.json': '{ "lockfileVersion": 3 }\n',
    '.gitignore': 'node_modules/\n',
  });
});
afterEach(async () => {
  await repo.remove();
  await rm(scratch, { recursive: true, force: true });
});

it('uses the dependencies the workflow installed in its checkout (the Action), without running setup', async () => {
  const checkout = path.join(scratch, 'github-workspace');
  await mkdir(path.join(checkout, 'node_modules', 'dep'), { recursive: true });
  await writeFile(path.join(checkout, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');

  const outcome = await runSetupPhase({
    workspace: repo.dir,
    settings: defaultRepoConfig().setup,
    network: networkSettingsFromEnv({}),
    stateDir: path.join(scratch, 'state'),
    cacheScope: 'github:octo-org/widgets',
    installedCheckout: checkout,
  });

  expect(outcome).toEqual({
    status: 'skipped',
    reason: 'the workflow already installed the dependencies (node_modules); used as they are',
  });
  expect(await readFile(path.join(repo.dir, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe(
    'module.exports = 1;\n',
  );
  expect(await readFile(path.join(repo.dir, '.git', 'info', 'exclude'), 'utf8')).toContain(
    '/node_modules',
  );
  const { stdout } = await run('git', ['status', '--porcelain'], { cwd: repo.dir });
  expect(stdout).toBe('');
});

it('skips setup when there is nothing to install', async () => {
  const bare = await makeGitRepo({ 'README.md': '# nothing\n' });
  try {
    const outcome = await runSetupPhase({
      workspace: bare.dir,
      settings: defaultRepoConfig().setup,
      network: networkSettingsFromEnv({}),
      stateDir: path.join(scratch, 'state'),
      cacheScope: 'github:octo-org/empty',
    });
    expect(outcome).toEqual({
      status: 'skipped',
      reason: 'no setup.run and no lockfile to install from',
    });
  } finally {
    await bare.remove();
  }
});
