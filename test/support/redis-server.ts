/**
 * A real redis-server for the tests (the Debian package; .ci/run installs it): one per
 * test file, on a free loopback port, in a temp directory, stopped after the file.
 * Without redis-server the tests that need it are skipped locally and fail in CI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0;

if (!HAS_REDIS && process.env.CI) {
  throw new Error('redis-server is not installed: the queue tests need it in CI (.ci/run)');
}

/** Starts redis-server on a free port; `appendonly` for the tests about durability. */
export async function startRedis(options: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(port, dir, options.appendonly === true);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        process: child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGKILL');
            await exited;
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      // Another process took the port between freePort and redis binding it: try again.
      if (attempt >= 4) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

function launch(port: number, dir: string, appendonly: boolean): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      appendonly ? 'yes' : 'no',
      ...(appendonly ? ['--appendfsync', 'always'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start in 20 s:\n${output}`));
    }, 20_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
