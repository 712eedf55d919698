/**
 * `npm start` as an operator runs it: from the package root, settings in `.env`, and
 * stopped with SIGTERM to npm's own process (what a service manager or a terminal sends).
 * Runs the built App (dist/, which `npm ci` builds): the package's real start script, in a
 * copy of the package root whose dist/, node_modules/ and prompts/ link to this one's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { appPrivateKey, WEBHOOK_SECRET } from '../support/app-harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  // npm and whatever it started (its own process group): nothing outlives the test.
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('npm start', () => {
  it('reads .env, logs the free port PORT=0 got as JSON, and stops when npm gets SIGTERM', async () => {
    dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-start-')));
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'patchling', type: 'module', scripts: { start: pkg.scripts.start } }),
    );
    for (const name of ['dist', 'node_modules', 'prompts'])
      await symlink(path.join(ROOT, name), path.join(dir, name));
    await writeFile(
      path.join(dir, '.env'),
      [
        'APP_ID=12345',
        `PRIVATE_KEY="${appPrivateKey().replace(/\n/g, '\\n')}"`,
        `WEBHOOK_SECRET=${WEBHOOK_SECRET}`,
        'OPENAI_API_KEY=sk-test-from-dotenv',
        'PORT=0',
        'HOST=127.0.0.1',
        `PATCHLING_STATE_DIR=${path.join(dir, 'state')}`,
      ].join('\n'),
    );

    // Only PATH and HOME: every App setting must come from .env.
    const started = spawn('npm', ['start', '--silent'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = started;
    let stdout = '';
    let stderr = '';
    started.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => started.on('exit', resolve));

    const listening = await waitFor(() =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; port?: number })
        .find((entry) => entry.msg === 'Patchling App listening'),
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`);
    });
    const port = listening.port ?? 0;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(3000);
    // Every line the App printed is one JSON object.
    for (const line of stdout.split('\n').filter((l) => l !== ''))
      expect(() => JSON.parse(line)).not.toThrow();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    started.kill('SIGTERM');
    await exited;
    // npm's process is gone; the App must be gone with it, not left serving.
    const stillServing = await waitFor(async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
        return undefined;
      } catch {
        return 'stopped';
      }
    }, 15_000).catch(() => 'still serving');
    expect(stillServing).toBe('stopped');
    // Nothing on stderr either: Octokit's own messages (the scan timer's GET
    // /app/installations fails here, GitHub being unreachable) go through the JSON log.
    expect(stderr).toBe('');
    expect(stdout).not.toContain('sk-test-from-dotenv');
  });
});

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`nothing after ${timeoutMs} ms`);
}
