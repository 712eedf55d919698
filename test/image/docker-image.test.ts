/**
 * `npm run test:image`: builds the Dockerfile and runs what a user would run with it (not
 * part of `npm test`: a cold build takes minutes). The engine comes from CONTAINER_ENGINE
 * (default `docker`; here `podman --runtime runc`), the base image from BASE_IMAGE (default
 * the Dockerfile's node:24-bookworm-slim). See docs/deploy.md.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOutputs } from '../e2e/harness.js';
import { commitFiles, finding, git, reviewAnswer } from '../e2e/review-helpers.js';
import { makeGitRepo, type TempGitRepo } from '../support/git-repo.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testApiKey } from '../support/run-cli.js';
import { containerEngine } from './container-engine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const engine = containerEngine(process.env);
const IMAGE = process.env.PATCHLING_TEST_IMAGE ?? 'localhost/patchling:image-test';
/** The narrowest options under which bubblewrap can make its namespaces (docs/deploy.md). */
const SANDBOX_OPTIONS = [
  '--security-opt',
  'systempaths=unconfined',
  '--security-opt',
  `seccomp=${path.join(ROOT, 'deploy', 'seccomp-bwrap.json')}`,
];
const VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

const BASE_FILES = {
  'package.json': '{ "type": "module" }\n',
  'sum.js': 'export const sum = (a, b) => a + b;\n',
};
const SUM_WITH_BUG = 'export const sum = (a, b) => a + b;\nexport const twice = (a) => a * 3;\n';

const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const baseImage = process.env.BASE_IMAGE;
  const started = Date.now();
  await engine.exec(
    [
      'build',
      // podman's default OCI format drops HEALTHCHECK.
      ...(engine.isPodman ? ['--format', 'docker'] : []),
      ...(baseImage ? ['--build-arg', `BASE_IMAGE=${baseImage}`] : []),
      '-t',
      IMAGE,
      ROOT,
    ],
    { timeoutMs: 25 * 60_000 },
  );
  const size = Number(await engine.exec(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
  console.log(
    `image ${IMAGE}: built in ${Math.round((Date.now() - started) / 1000)} s, ` +
      `${(size / 1e6).toFixed(0)} MB`,
  );
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('the image', () => {
  it('runs as a non-root user, the App by default, its state on a volume, with a HEALTHCHECK', async () => {
    const [inspected] = JSON.parse(await engine.exec(['image', 'inspect', IMAGE])) as {
      Config: {
        User?: string;
        Volumes?: Record<string, unknown>;
        Cmd?: string[];
        Env?: string[];
        Healthcheck?: { Test?: string[] };
      };
      /** podman reports the healthcheck here, Docker in Config. */
      Healthcheck?: { Test?: string[] };
    }[];
    const config = inspected?.Config ?? {};
    const healthcheck = config.Healthcheck ?? inspected?.Healthcheck;
    expect(config.User).toBe('node');
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/var/lib/patchling']);
    expect(config.Env).toContain('PATCHLING_STATE_DIR=/var/lib/patchling');
    expect(config.Cmd).toEqual(['node', '/opt/patchling/dist/triggers/app-server.js']);
    expect(healthcheck?.Test?.join(' ')).toContain('/healthz');

    expect(await engine.exec(['run', '--rm', IMAGE, 'id', '-u'])).toBe('1000\n');
    expect(await engine.exec(['run', '--rm', IMAGE, 'patchling', '--version'])).toBe(
      `${VERSION}\n`,
    );
    expect(await engine.exec(['run', '--rm', IMAGE, 'node', '--version'])).toMatch(/^v24\./);
  });
});

describe('patchling review in the container', () => {
  let server: ScriptedModelServer;
  let repo: TempGitRepo;
  const apiKey = testApiKey();

  /** `patchling review --base main --json` on the repository, mounted at /work. */
  const review = (options: readonly string[]) =>
    engine.result(
      [
        'run',
        '--rm',
        // The scripted model listens on the host's 127.0.0.1.
        '--network',
        'host',
        ...options,
        '-v',
        `${repo.dir}:/work`,
        '-w',
        '/work',
        '-e',
        `OPENAI_BASE_URL=${server.baseURL}`,
        '-e',
        `OPENAI_API_KEY=${apiKey}`,
        '-e',
        'PATCHLING_PROVIDER=openai',
        '-e',
        'PATCHLING_MODEL=test-model',
        IMAGE,
        'patchling',
        'review',
        '--base',
        'main',
        '--json',
      ],
      { timeoutMs: 180_000 },
    );

  beforeAll(async () => {
    repo = await makeGitRepo(BASE_FILES);
    cleanups.push(() => repo.remove());
    await git(repo.dir, 'checkout', '--quiet', '-b', 'feature');
    await commitFiles(repo.dir, { 'sum.js': SUM_WITH_BUG }, 'feature work');
    // The image's user (uid 1000) must own the checkout, for git's ownership check.
    await promisify(execFile)('chown', ['-R', '1000:1000', repo.dir]);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reviews with every command in the bubblewrap sandbox (hostname "patchling", no network)', async () => {
    server = await startScriptedModelServer([
      step.toolCalls([
        {
          name: 'shell',
          arguments: {
            command:
              "hostname; cat sum.js; node -e \"fetch('http://127.0.0.1:1').catch(() => console.log('no-network'))\"",
          },
          callId: 'call_look',
        },
      ]),
      reviewAnswer(
        [finding({ path: 'sum.js', title: 'twice triples its argument', start_line: 2 })],
        'Adds twice().',
      ),
    ]);

    const result = await review(SANDBOX_OPTIONS);

    expect(result.stderr).not.toContain(apiKey);
    expect(result.stdout).not.toContain(apiKey);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { status: string; findings: { title: string }[] };
    expect(json.status).toBe('completed');
    expect(json.findings.map((f) => f.title)).toEqual(['twice triples its argument']);
    const output = commandOutput(server.requests[1], 'call_look');
    expect(output).toContain('patchling\n');
    expect(output).toContain('export const twice');
    expect(output).toContain('no-network');
  });

  it('stops with the fix when the container lacks the options, and never runs a command unsandboxed', async () => {
    await server.close();
    server = await startScriptedModelServer([
      step.toolCalls([{ name: 'shell', arguments: { command: 'id' }, callId: 'call_id' }]),
      reviewAnswer([]),
    ]);

    const result = await review([]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/bubblewrap|sandbox/i);
    expect(result.stdout).not.toMatch(/No findings/);
    for (const request of server.requests) expect(commandOutput(request, 'call_id')).toBe('');
  });
});

describe('the App in the container', () => {
  it('answers /healthz, passes its HEALTHCHECK, logs JSON lines, and stops on SIGTERM', async () => {
    const port = await freePort();
    const name = `patchling-image-test-${randomBytes(4).toString('hex')}`;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    await engine.exec([
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      ...SANDBOX_OPTIONS,
      '-e',
      'APP_ID=12345',
      '-e',
      `PRIVATE_KEY=${pem.replace(/\n/g, '\\n')}`,
      '-e',
      `WEBHOOK_SECRET=${randomBytes(16).toString('hex')}`,
      '-e',
      `OPENAI_API_KEY=${testApiKey()}`,
      '-e',
      `PORT=${port}`,
      IMAGE,
    ]);
    cleanups.push(() => engine.result(['rm', '-f', '-v', name]));

    expect(JSON.parse(await waitForHealthz(`http://127.0.0.1:${port}/healthz`))).toMatchObject({
      status: 'ok',
    });
    if (engine.isPodman) {
      await engine.exec(['healthcheck', 'run', name]);
    } else {
      expect(await waitForHealthy(name)).toBe('healthy');
    }

    await engine.exec(['stop', '--time', '20', name], { timeoutMs: 60_000 });
    const exitCode = await engine.exec(['inspect', '--format', '{{.State.ExitCode}}', name]);
    expect(exitCode.trim()).toBe('0');
    const logs = await engine.result(['logs', name]);
    const lines = logs.stdout.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((line) => JSON.parse(line) as { msg?: string; port?: number });
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'Patchling App listening', port }),
    );
  });
});

/** The output of the tool call `callId` in a Responses request, '' when it has none. */
function commandOutput(request: RecordedRequest | undefined, callId: string): string {
  return callOutputs(request)
    .filter((call) => call.callId === callId)
    .map((call) => call.output)
    .join('\n');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

async function waitForHealthz(url: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return await response.text();
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`${url} never answered: ${last}`);
}

async function waitForHealthy(name: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  let status = '';
  while (Date.now() < deadline) {
    status = (await engine.exec(['inspect', '--format', '{{.State.Health.Status}}', name])).trim();
    if (status === 'healthy') return status;
    await sleep(1_000);
  }
  return status;
}
