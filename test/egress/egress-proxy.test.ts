import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../src/egress/allowlist.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/egress-proxy.js';
import { reportEgressRefusals } from '../../src/egress/report-egress-refusals.js';
import { prepareRunEnvironment } from '../../src/jobs/prepare-agent-run.js';
import { testModelConfig } from '../support/test-model-config.js';
import { closeSandboxes, makeTempDir, openSandbox } from '../sandbox/helpers.js';

let allowedPort: number;
let otherPort: number;
const servers: http.Server[] = [];
const cleanups: (() => Promise<void>)[] = [];
let workspace: string;

async function serve(body: string): Promise<number> {
  const server = http.createServer((request, response) =>
    response.end(`${body} ${request.method} ${request.url} host=${request.headers.host}`),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  allowedPort = await serve('allowed');
  otherPort = await serve('other');
  const ws = await makeTempDir('patchling-egress-ws-');
  cleanups.push(ws.remove);
  workspace = ws.dir;
  execFileSync('git', ['init', '-q', workspace]);
});

afterAll(async () => {
  await closeSandboxes();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  for (const cleanup of cleanups) await cleanup();
});

/** A CONNECT through the proxy's socket, from the host: the status line and body. */
function connectThrough(
  proxy: EgressProxy,
  authority: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      socketPath: proxy.socketPath,
      method: 'CONNECT',
      path: authority,
    });
    request.on('connect', (response, socket, head: Buffer) => {
      if (response.statusCode !== 200) {
        let body = head.toString();
        socket.on('data', (chunk: Buffer) => (body += chunk.toString()));
        socket.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        return;
      }
      socket.write(`GET /tunnelled HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve({ status: 200, body: text }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the egress proxy', () => {
  it('tunnels to an allowed host:port and refuses another port on the same address', async () => {
    const proxy = await startEgressProxy({
      allow: parseAllowlist(`127.0.0.1:${allowedPort}`, 'test'),
    });
    try {
      const allowed = await connectThrough(proxy, `127.0.0.1:${allowedPort}`);
      expect(allowed.status).toBe(200);
      expect(allowed.body).toContain('allowed GET /tunnelled');

      const refused = await connectThrough(proxy, `127.0.0.1:${otherPort}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain(
        `Patchling's egress proxy refused 127.0.0.1:${otherPort}: it is not in the egress allowlist (PATCHLING_NETWORK_ALLOW).`,
      );
      expect(proxy.takeRefusals()).toEqual([
        expect.objectContaining({ host: '127.0.0.1', port: otherPort, allowed: false }),
      ]);
      expect(proxy.takeRefusals()).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('resolves names itself and refuses a listed name that resolves inward (loopback, metadata)', async () => {
    const resolved: string[] = [];
    const proxy = await startEgressProxy({
      allow: parseAllowlist(`registry.test:${allowedPort},metadata.test:80`, 'test'),
      resolve: (host) => {
        resolved.push(host);
        return Promise.resolve(host === 'metadata.test' ? ['169.254.169.254'] : ['127.0.0.1']);
      },
    });
    try {
      const inward = await connectThrough(proxy, `registry.test:${allowedPort}`);
      expect(inward.status).toBe(403);
      expect(inward.body).toContain(
        'it resolves to 127.0.0.1 (loopback), which is not a public address',
      );
      expect(inward.body).toContain('list the address itself in PATCHLING_NETWORK_ALLOW');
      const metadata = await connectThrough(proxy, 'metadata.test:80');
      expect(metadata.body).toContain('169.254.169.254 (linkLocal)');
      expect(resolved).toEqual(['registry.test', 'metadata.test']);
    } finally {
      await proxy.close();
    }
  });

  it('connects to the address it checked once the operator names it', async () => {
    const proxy = await startEgressProxy({
      allow: parseAllowlist(`registry.test:${allowedPort},127.0.0.1:${allowedPort}`, 'test'),
      resolve: () => Promise.resolve(['127.0.0.1']),
    });
    try {
      const result = await connectThrough(proxy, `registry.test:${allowedPort}`);
      expect(result.status).toBe(200);
      // The client's Host is kept; the connection went to the checked address.
      expect(result.body).toContain(`host=registry.test:${allowedPort}`);
    } finally {
      await proxy.close();
    }
  });
});

describe('a sandbox with egress', () => {
  // node's fetch (undici) tunnels even http:// through CONNECT when NODE_USE_ENV_PROXY is set.
  const fetchScript = (url: string) =>
    `fetch(${JSON.stringify(url)}).then(async (r) => console.log('STATUS', r.status, await r.text()), (e) => console.log('FAILED', e.cause?.code ?? e.message))`;
  // npm and pip send plain http:// requests to the proxy in absolute form.
  const proxiedGetScript = (url: string) =>
    `const p = new URL(process.env.HTTP_PROXY); const s = require('node:net').connect(p.port, p.hostname, () => s.write('GET ${url} HTTP/1.1\\r\\nHost: ' + new URL(${JSON.stringify(url)}).host + '\\r\\nConnection: close\\r\\n\\r\\n')); let t = ''; s.on('data', (c) => (t += c)); s.on('end', () => console.log('STATUS', t.split(' ')[1], t.split('\\r\\n\\r\\n')[1]));`;

  it('reaches allowed hosts through the proxy only, from its own network namespace', async () => {
    const proxy = await startEgressProxy({
      allow: parseAllowlist(`127.0.0.1:${allowedPort}`, 'test'),
    });
    cleanups.push(() => proxy.close());
    const sandbox = await openSandbox({ workspace, egress: { socketPath: proxy.socketPath } });
    const run = (script: string, env: Record<string, string> = {}) =>
      sandbox.run({ argv: ['node', '-e', script], cwd: workspace, timeoutMs: 20_000, env });

    const allowed = await run(fetchScript(`http://127.0.0.1:${allowedPort}/pkg`));
    expect(allowed.output).toContain(`STATUS 200 allowed GET /pkg host=127.0.0.1:${allowedPort}`);
    expect(allowed.exitCode).toBe(0);

    const forwarded = await run(proxiedGetScript(`http://127.0.0.1:${allowedPort}/plain?x=1`));
    expect(forwarded.output).toContain(
      `STATUS 200 allowed GET /plain?x=1 host=127.0.0.1:${allowedPort}`,
    );

    const refused = await run(proxiedGetScript(`http://127.0.0.1:${otherPort}/`));
    expect(refused.output).toContain(
      `STATUS 403 Patchling's egress proxy refused 127.0.0.1:${otherPort}: it is not in the egress allowlist`,
    );

    // Around the proxy there is nothing: the host's loopback is not the sandbox's.
    const direct = await run(
      `require('node:net').connect(${allowedPort}, '127.0.0.1').on('connect', () => { console.log('CONNECTED'); process.exit(0); }).on('error', (e) => console.log('FAILED', e.code));`,
    );
    expect(direct.output).toContain('FAILED ECONNREFUSED');
    // And the request's own env cannot point the proxy variables elsewhere.
    const overridden = await run('console.log(process.env.HTTP_PROXY)', {
      HTTP_PROXY: 'http://10.0.0.1:3128',
    });
    expect(overridden.output).toContain('http://127.0.0.1:47187');
  });

  it('tells the model about a refused connection as a denied approval', async () => {
    const proxy = await startEgressProxy({
      allow: parseAllowlist(`127.0.0.1:${allowedPort}`, 'test'),
    });
    const inner = await openSandbox({ workspace, egress: { socketPath: proxy.socketPath } });
    const sandbox = reportEgressRefusals(inner, proxy);
    try {
      const result = await sandbox.run({
        argv: ['node', '-e', fetchScript(`http://127.0.0.1:${otherPort}/`)],
        cwd: workspace,
        timeoutMs: 20_000,
      });
      expect(result.output).toContain(
        `Denied: Patchling's egress proxy refused 127.0.0.1:${otherPort}: it is not in the egress allowlist`,
      );
      expect(result.output).toContain('nobody can approve more network access');
      const quiet = await sandbox.run({
        argv: ['node', '-e', fetchScript(`http://127.0.0.1:${allowedPort}/`)],
        cwd: workspace,
        timeoutMs: 20_000,
      });
      expect(quiet.output).not.toContain('Denied');
    } finally {
      await sandbox.close?.();
    }
  });
});

describe('the agent phase opted into the allowlist', () => {
  it('reaches allowed hosts, hears of refusals as denied approvals, and keeps its own loopback direct', async () => {
    const environment = await prepareRunEnvironment({
      workspace,
      policy: 'workspace-write',
      modelConfig: testModelConfig('http://127.0.0.1:9/v1', 'responses'),
      stateDir: path.join(workspace, '.git', 'patchling-state'),
      runId: 'agent-network-test',
      env: {},
      network: parseAllowlist(`127.0.0.1:${allowedPort}`, 'test'),
    });
    try {
      const run = (script: string) =>
        environment.sandbox.run({
          argv: ['node', '-e', script],
          cwd: workspace,
          timeoutMs: 20_000,
        });
      // NO_PROXY holds loopback: a test suite's own server inside the sandbox still works.
      const local = await run(
        "const s = require('node:http').createServer((q, r) => r.end('inside')).listen(0, '127.0.0.1', () => fetch('http://127.0.0.1:' + s.address().port).then(async (r) => { console.log('LOCAL', await r.text()); s.close(); }));",
      );
      expect(local.output).toContain('LOCAL inside');

      const refused = await run(
        `fetch('https://registry.npmjs.org/left-pad').then((r) => console.log('GOT', r.status), (e) => console.log('FAILED'))`,
      );
      expect(refused.output).toContain('FAILED');
      expect(refused.output).toContain(
        "Denied: Patchling's egress proxy refused registry.npmjs.org:443: it is not in the egress allowlist",
      );
    } finally {
      environment.log.close();
      await environment.sandbox.close?.();
    }
  });
});
