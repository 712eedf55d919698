import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const VERDACCIO = fileURLToPath(
  new URL('../../node_modules/verdaccio/bin/verdaccio', import.meta.url),
);

/**
 * A real npm registry on loopback: verdaccio in its own process, with a temp storage and
 * NO uplinks (it knows only what a test publishes; nothing reaches the internet).
 */
export interface TestNpmRegistry {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  /** Publishes a package made of `files` (package.json written from name and version). */
  publish(name: string, version: string, files: Readonly<Record<string, string>>): Promise<void>;
  /** Stops the registry; its port then refuses connections. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops it and removes its storage. */
  close(): Promise<void>;
}

export async function startNpmRegistry(): Promise<TestNpmRegistry> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-registry-')));
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${path.join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(dir, 'htpasswd')}`,
      '    max_users: -1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(
    process.execPath,
    [VERDACCIO, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await waitForPing(url, child, () => log);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  };
  return {
    url,
    port,
    async publish(name, version, files) {
      const pkg = path.join(dir, 'packages', `${name}-${version}`);
      await mkdir(pkg, { recursive: true });
      await writeFile(
        path.join(pkg, 'package.json'),
        JSON.stringify({ name, version, main: 'index.js' }),
      );
      for (const [file, content] of Object.entries(files))
        await writeFile(path.join(pkg, file), content);
      // verdaccio lets anyone publish here; npm wants some token to send.
      await run(
        'npm',
        ['publish', '--registry', url, `--//127.0.0.1:${port}/:_authToken=test`, '--no-audit'],
        {
          cwd: pkg,
          env: { PATH: process.env.PATH, HOME: dir, npm_config_cache: path.join(dir, 'npm-cache') },
        },
      );
    },
    stop,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited: ${log()}`);
    const ok = await fetch(`${url}-/ping`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`verdaccio did not start within 60 s: ${log()}`);
}

/** A port free on 127.0.0.1 right now (the registry binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
