/**
 * How a sandboxed command reaches Patchling's egress proxy while keeping its own network
 * namespace. The proxy listens on a unix socket on the host (a file, so network
 * namespaces do not separate it); the socket is bound read-only into the sandbox, and a
 * few lines of node inside listen on the sandbox's own loopback and copy each connection
 * to it. Package managers then find the proxy through the standard HTTP(S)_PROXY
 * variables. No TCP port is opened on the host, nothing else on the host is reachable,
 * and the sandbox has no route anywhere: whatever ignores the proxy variables fails.
 */

/** Where the proxy's socket appears inside the sandbox. */
export const EGRESS_SOCKET_TARGET = '/run/patchling/egress.sock';
/** The forwarder's port on the sandbox's own loopback (each command has its own). */
const EGRESS_FORWARDER_PORT = 47187;

/** What a sandbox needs to give its commands the egress proxy. */
export interface SandboxEgress {
  /** Host path of the proxy's unix socket. */
  readonly socketPath: string;
  /**
   * Hosts reached directly (NO_PROXY), inside the sandbox's own network namespace: the
   * agent phase lists loopback, so a test suite's own local server still works.
   */
  readonly noProxy?: readonly string[];
}

/**
 * The forwarder, run as `node -e FORWARDER -- <socket> <port> <command...>`: it listens
 * first, then runs the command as its child with the same stdio, and exits with the
 * command's status. CommonJS, self-contained: it runs on the node bound into the sandbox.
 */
const FORWARDER_SCRIPT = `'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');
const [socketPath, port, file, ...args] = process.argv.slice(1);
const server = net.createServer((client) => {
  const upstream = net.connect(socketPath);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.on('error', (error) => {
  process.stderr.write('patchling: the egress forwarder could not start: ' + error.message + '\\n');
  process.exit(125);
});
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(file, args, { stdio: 'inherit' });
  child.on('error', (error) => {
    process.stderr.write(file + ': ' + error.message + '\\n');
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    const signals = require('node:os').constants.signals;
    process.exit(code ?? 128 + (signals[signal] ?? 0));
  });
});
`;

/** argv that runs `command` behind the forwarder, with the node at `nodePath`. */
export function wrapWithForwarder(nodePath: string, command: readonly string[]): string[] {
  return [
    nodePath,
    '-e',
    FORWARDER_SCRIPT,
    '--',
    EGRESS_SOCKET_TARGET,
    String(EGRESS_FORWARDER_PORT),
    ...command,
  ];
}

/**
 * The proxy variables, in every spelling the common package managers read: curl, pip,
 * uv, go, cargo, bundler (HTTP(S)_PROXY and lower case), npm and pnpm (npm_config_*),
 * yarn berry (YARN_*), node's own fetch and http (NODE_USE_ENV_PROXY). Without `noProxy`
 * NO_PROXY is empty: for setup, an allowlisted address on loopback (an on-premise or test
 * registry) is the host's, and only the proxy can reach it.
 */
export function egressProxyEnv(noProxy: readonly string[] = []): Record<string, string> {
  const url = `http://127.0.0.1:${EGRESS_FORWARDER_PORT}`;
  const bypass = noProxy.join(',');
  return {
    NO_PROXY: bypass,
    no_proxy: bypass,
    npm_config_noproxy: bypass,
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    ALL_PROXY: url,
    npm_config_proxy: url,
    npm_config_https_proxy: url,
    YARN_HTTP_PROXY: url,
    YARN_HTTPS_PROXY: url,
    NODE_USE_ENV_PROXY: '1',
  };
}
