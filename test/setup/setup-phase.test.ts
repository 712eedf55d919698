import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareRunEnvironment } from '../../src/jobs/prepare-agent-run.js';
import { makeGitRepo, type TempGitRepo } from '../support/git-repo.js';
import { npmDependencyRepoFiles, TINY_SUM } from '../support/npm-dependency-repo.js';
import { startNpmRegistry, type TestNpmRegistry } from '../support/npm-registry.js';
import { cliEnv, runCli, testApiKey } from '../support/run-cli.js';
import { testModelConfig } from '../support/test-model-config.js';

const run = promisify(execFile);

let registry: TestNpmRegistry;
let other: http.Server;
let otherPort: number;
let repo: TempGitRepo;
let scratch: string;
let remote: string;
let stateDir: string;
const apiKey = testApiKey();
const githubToken = `ghp_${'x1'.repeat(18)}`;

/**
 * Tries the other loopback service twice, as setup: through the proxy (as a package
 * manager would) and directly. Committed in the repository, run by its setup.run.
 */
const PROBE = `
const net = require('node:net');
const port = Number(process.argv[2]);
const proxy = new URL(process.env.HTTP_PROXY);
const viaProxy = net.connect(Number(proxy.port), proxy.hostname, () =>
  viaProxy.write('GET http://127.0.0.1:' + port + '/ HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nConnection: close\\r\\n\\r\\n'));
let text = '';
viaProxy.on('data', (chunk) => (text += chunk));
viaProxy.on('end', () => {
  console.log('VIA-PROXY ' + text.split('\\r\\n')[0]);
  net.connect(port, '127.0.0.1')
    .on('connect', () => { console.log('DIRECT connected'); process.exit(0); })
    .on('error', (error) => console.log('DIRECT ' + error.code));
});
`;

async function clone(name: string): Promise<string> {
  const dir = path.join(scratch, name);
  await run('git', ['clone', '-q', remote, dir]);
  return realpath(dir);
}

function setup(cwd: string, extra: Record<string, string> = {}) {
  return runCli(['setup'], {
    cwd,
    env: cliEnv({
      baseURL: 'http://127.0.0.1:9/v1',
      stateDir,
      apiKey,
      extra: {
        PATCHLING_NETWORK_ALLOW: `127.0.0.1:${registry.port}`,
        GITHUB_TOKEN: githubToken,
        npm_config_fetch_retries: '0',
        ...extra,
      },
    }),
    timeoutMs: 120_000,
  });
}

/** The agent's own sandbox for a workspace: what `exec` and the jobs give the model. */
async function agentSandbox(workspace: string) {
  const environment = await prepareRunEnvironment({
    workspace,
    policy: 'workspace-write',
    modelConfig: testModelConfig('http://127.0.0.1:9/v1', 'responses'),
    stateDir,
    runId: `setup-test-${Date.now()}`,
    env: {},
  });
  return environment;
}

beforeAll(async () => {
  registry = await startNpmRegistry();
  await registry.publish(TINY_SUM.name, TINY_SUM.version, TINY_SUM.files);
  other = http.createServer((_request, response) => response.end('the other service'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherPort = (other.address() as AddressInfo).port;

  scratch = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-setup-test-')));
  stateDir = path.join(scratch, 'state');
  repo = await makeGitRepo({
    ...(await npmDependencyRepoFiles(registry)),
    'probe.js': PROBE,
    '.github/patchling.yml':
      'setup:\n' +
      '  run: |\n' +
      '    npm ci\n' +
      `    node probe.js ${otherPort}\n` +
      '    env\n' +
      // Lets the test make npm give up at once when the registry is gone.
      'sandbox:\n  env: [npm_config_fetch_retries]\n',
  });
  remote = path.join(scratch, 'remote.git');
  await run('git', ['clone', '-q', '--bare', repo.dir, remote]);
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await new Promise((resolve) => other?.close(resolve));
  await repo?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('patchling setup with a real npm registry on loopback', () => {
  let first: string;

  it('installs the dependency through the allowlist, with other loopback services and parent secrets out of reach', async () => {
    first = await clone('first');
    const result = await setup(first);
    const printed = `${result.stdout}\n${result.stderr}`;
    expect(result.code, printed).toBe(0);
    expect(result.stdout).toContain('added 1 package');
    expect(result.stdout).toMatch(
      /Setup ran `npm ci\n.*` \(from setup\.run\) in [\d.]+ s; the result is cached\./s,
    );
    expect(existsSync(path.join(first, 'node_modules', 'tiny-sum', 'index.js'))).toBe(true);

    // The other service: refused by the proxy, and unreachable around it.
    expect(result.stdout).toContain('VIA-PROXY HTTP/1.1 403 Forbidden');
    expect(result.stdout).toContain('DIRECT ECONNREFUSED');
    expect(result.stdout).toContain(
      `Patchling's egress proxy refused 127.0.0.1:${otherPort}: it is not in the egress allowlist (PATCHLING_NETWORK_ALLOW).`,
    );

    // `env` ran inside setup: the sandbox's variables are there, the parent's secrets are not.
    expect(result.stdout).toContain('HOME=/home/patchling');
    expect(result.stdout).toContain(`HTTP_PROXY=http://127.0.0.1:47187`);
    expect(printed).not.toContain(apiKey);
    expect(printed).not.toContain(githubToken);
    expect(result.stdout).not.toMatch(/^(OPENAI_API_KEY|GITHUB_TOKEN|PATCHLING_STATE_DIR)=/m);

    // What setup created is no change of the repository's.
    expect(await readFile(path.join(first, '.git', 'info', 'exclude'), 'utf8')).toContain(
      '/node_modules',
    );
    const { stdout: status } = await run('git', ['status', '--porcelain'], { cwd: first });
    expect(status).toBe('');
  }, 120_000);

  it('the agent phase then runs the tests with the dependency, and cannot reach the registry', async () => {
    const environment = await agentSandbox(first);
    try {
      const tests = await environment.sandbox.run({
        argv: ['bash', '-lc', 'npm test'],
        cwd: first,
        timeoutMs: 60_000,
      });
      expect(tests.output).toContain('PASS: add(2, 3) = 5 with tiny-sum');
      expect(tests.exitCode).toBe(0);

      const reach = await environment.sandbox.run({
        argv: [
          'node',
          '-e',
          `fetch(${JSON.stringify(`${registry.url}tiny-sum`)}).then((r) => console.log('GOT', r.status), (e) => console.log('FAILED', e.cause?.code))`,
        ],
        cwd: first,
        timeoutMs: 20_000,
      });
      expect(reach.output).toContain('FAILED ECONNREFUSED');
      expect(reach.output).not.toContain('GOT');
    } finally {
      environment.log.close();
      await environment.sandbox.close?.();
    }
  }, 60_000);

  it('refuses a host outside the allowlist, and says so in the setup output', async () => {
    const elsewhere = await makeGitRepo({
      'package.json': '{ "name": "elsewhere", "version": "1.0.0" }\n',
      '.github/patchling.yml':
        'setup:\n  run: npm view left-pad version --registry https://registry.npmjs.org/ --fetch-retries=0\n',
    });
    try {
      const result = await setup(elsewhere.dir);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        "Patchling's egress proxy refused registry.npmjs.org:443: it is not in the egress allowlist (PATCHLING_NETWORK_ALLOW).",
      );
      expect(result.stdout).toMatch(/Setup failed: `npm view left-pad[^`]*` exited with 1/);
    } finally {
      await elsewhere.remove();
    }
  }, 120_000);

  it('a fresh clone of the same commit sets up from the cache with the registry stopped', async () => {
    await registry.stop();
    const second = await clone('second');
    expect(existsSync(path.join(second, 'node_modules'))).toBe(false);
    const result = await setup(second);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Setup restored `npm ci\n.*` from the cache in [\d.]+ s\./s);
    // Nothing ran: no install output, no probe.
    expect(result.stdout).not.toContain('VIA-PROXY');

    const environment = await agentSandbox(second);
    try {
      const tests = await environment.sandbox.run({
        argv: ['bash', '-lc', 'npm test'],
        cwd: second,
        timeoutMs: 60_000,
      });
      expect(tests.output).toContain('PASS: add(2, 3) = 5 with tiny-sum');
      expect(tests.exitCode).toBe(0);
    } finally {
      environment.log.close();
      await environment.sandbox.close?.();
    }

    // Without the cache, the same setup fails now: the registry really is gone.
    const third = await clone('third');
    const uncached = await runCli(['setup', '--no-cache'], {
      cwd: third,
      env: cliEnv({
        baseURL: 'http://127.0.0.1:9/v1',
        stateDir,
        extra: {
          PATCHLING_NETWORK_ALLOW: `127.0.0.1:${registry.port}`,
          npm_config_fetch_retries: '0',
        },
      }),
      timeoutMs: 120_000,
    });
    expect(uncached.code).toBe(1);
    expect(uncached.stdout).toContain('Setup failed');
  }, 240_000);
});
