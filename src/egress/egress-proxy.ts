import { lookup as dnsLookup } from 'node:dns/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { findAllowEntry, isAddressAllowed, normalizeHost } from './allowlist.js';
import type { AllowEntry } from './allowlist.js';

/** Resolves a host name to its addresses (all of them); tests pass their own. */
export type ResolveHost = (host: string) => Promise<readonly string[]>;

export type EgressDecision =
  { readonly host: string; readonly port: number; readonly allowed: true } | EgressRefusal;

export interface EgressRefusal {
  readonly host: string;
  readonly port: number;
  readonly allowed: false;
  /** Why, in words for the setup output or the model. */
  readonly reason: string;
}

export interface EgressProxy {
  /** The unix socket to bind into a sandbox (SandboxEgress.socketPath). */
  readonly socketPath: string;
  /** Every decision so far, oldest first (capped). */
  decisions(): readonly EgressDecision[];
  /** The refusals since the last call: what a command just tried and did not get. */
  takeRefusals(): EgressRefusal[];
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  readonly allow: readonly AllowEntry[];
  /** Default: the system resolver, every address. */
  readonly resolve?: ResolveHost;
  /** Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A tunnel or request silent this long is closed. Default 2 min. */
  readonly idleTimeoutMs?: number;
}

const MAX_DECISIONS = 1_000;
/** Refusals name this header, as codex's proxy does with x-proxy-error. */
const REFUSAL_HEADER = 'x-patchling-egress';
// Per RFC 9110 these are for the proxy, never the next hop.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

type Verdict =
  { readonly ok: true; readonly address: string } | { readonly ok: false; readonly reason: string };

/**
 * Patchling's egress proxy: HTTP CONNECT tunnels (HTTPS and anything else over TCP) and
 * plain-HTTP forwarding, on a unix socket in a fresh 0700 directory (reachable only by
 * this host user, and by the sandboxes it is bound into). It resolves each name itself
 * and connects to the address it checked, so a name cannot be re-resolved elsewhere
 * between the check and the connection (DNS rebinding); it never follows a client's own
 * idea of the address. See allowlist.ts for what passes.
 */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const resolve = options.resolve ?? resolveAll;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const decisions: EgressDecision[] = [];
  let refusals: EgressRefusal[] = [];
  const sockets = new Set<Duplex>();

  const record = (decision: EgressDecision): void => {
    decisions.push(decision);
    if (decisions.length > MAX_DECISIONS) decisions.shift();
    if (!decision.allowed) refusals.push(decision);
  };

  const decide = async (host: string, port: number): Promise<Verdict> => {
    const name = normalizeHost(host);
    const verdict = await check(name, port);
    record(
      verdict.ok
        ? { host: name, port, allowed: true }
        : { host: name, port, allowed: false, reason: verdict.reason },
    );
    return verdict;
  };

  const check = async (host: string, port: number): Promise<Verdict> => {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      return { ok: false, reason: 'the port is not valid' };
    }
    if (findAllowEntry(options.allow, host, port) === undefined) {
      return { ok: false, reason: 'it is not in the egress allowlist (PATCHLING_NETWORK_ALLOW)' };
    }
    let addresses: readonly string[];
    try {
      addresses = net.isIP(host) ? [host] : await resolve(host);
    } catch (error) {
      return { ok: false, reason: `the name does not resolve (${(error as Error).message})` };
    }
    const refused: string[] = [];
    for (const address of addresses) {
      const verdict = isAddressAllowed(options.allow, address, port);
      if (verdict.allowed) return { ok: true, address };
      refused.push(`${address} (${verdict.range})`);
    }
    return {
      ok: false,
      reason:
        refused.length === 0
          ? 'the name has no address'
          : `it resolves to ${refused.join(', ')}, which is not a public address; ` +
            'list the address itself in PATCHLING_NETWORK_ALLOW to allow it',
    };
  };

  const server = http.createServer((request, response) => {
    void forward(request, response);
  });
  server.on('connect', (request: http.IncomingMessage, client: Duplex, head: Buffer) => {
    void tunnel(request, client, head);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const tunnel = async (
    request: http.IncomingMessage,
    client: Duplex,
    head: Buffer,
  ): Promise<void> => {
    client.on('error', () => client.destroy());
    const target = parseAuthority(request.url ?? '');
    if (target === undefined) {
      refuse(
        client,
        400,
        `Patchling's egress proxy: ${JSON.stringify(request.url)} is not host:port.`,
      );
      return;
    }
    const verdict = await decide(target.host, target.port);
    if (!verdict.ok) {
      refuse(client, 403, refusalText(target.host, target.port, verdict.reason));
      return;
    }
    const upstream = net.connect({ host: verdict.address, port: target.port });
    sockets.add(upstream);
    const connectTimer = setTimeout(
      () => upstream.destroy(new Error('connect timeout')),
      connectTimeoutMs,
    );
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.setTimeout(idleTimeoutMs, () => upstream.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      clearTimeout(connectTimer);
      if (!connected) {
        refuse(
          client,
          502,
          `Patchling's egress proxy: could not connect to ${target.host}:${target.port}: ${error.message}.`,
        );
      } else client.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
  };

  const forward = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> => {
    let url: URL;
    try {
      url = new URL(request.url ?? '');
    } catch {
      plain(
        response,
        400,
        `Patchling's egress proxy: ${JSON.stringify(request.url)} is not an absolute URL.`,
      );
      return;
    }
    if (url.protocol !== 'http:') {
      plain(
        response,
        400,
        `Patchling's egress proxy forwards http:// URLs; use CONNECT for ${url.protocol}.`,
      );
      return;
    }
    const port = url.port === '' ? 80 : Number(url.port);
    const verdict = await decide(url.hostname, port);
    if (!verdict.ok) {
      plain(response, 403, refusalText(url.hostname, port, verdict.reason));
      return;
    }
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    headers.host = url.host;
    const outgoing = http.request({
      host: verdict.address,
      port,
      method: request.method,
      path: `${url.pathname}${url.search}`,
      headers,
      timeout: idleTimeoutMs,
    });
    outgoing.on('response', (upstream) => {
      const back: http.OutgoingHttpHeaders = { ...upstream.headers };
      for (const name of HOP_BY_HOP) delete back[name];
      response.writeHead(upstream.statusCode ?? 502, back);
      upstream.pipe(response);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', (error) => {
      if (!response.headersSent) {
        plain(response, 502, `Patchling's egress proxy: ${url.host} failed: ${error.message}.`);
      } else response.destroy();
    });
    request.pipe(outgoing);
  };

  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-egress-'));
  const socketPath = path.join(dir, 'proxy.sock');
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(socketPath, () => {
      server.off('error', fail);
      done();
    });
  });

  return {
    socketPath,
    decisions: () => [...decisions],
    takeRefusals: () => {
      const taken = refusals;
      refusals = [];
      return taken;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One line a person or a model reads: what was refused and why. */
export function refusalText(host: string, port: number, reason: string): string {
  return `Patchling's egress proxy refused ${host}:${port}: ${reason}.`;
}

async function resolveAll(host: string): Promise<string[]> {
  const found = await dnsLookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}

function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  return { host: match[1] as string, port: Number(match[2]) };
}

function refuse(client: Duplex, status: 400 | 403 | 502, text: string): void {
  const body = `${text}\n`;
  const reason = status === 403 ? 'Forbidden' : status === 400 ? 'Bad Request' : 'Bad Gateway';
  client.end(
    `HTTP/1.1 ${status} ${reason}\r\n${REFUSAL_HEADER}: ${status === 403 ? 'refused' : 'error'}\r\n` +
      `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

function plain(response: http.ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    [REFUSAL_HEADER]: status === 403 ? 'refused' : 'error',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}
