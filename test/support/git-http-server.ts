import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server saw, recorded before it was answered. */
export interface RecordedGitRequest {
  readonly method: string;
  /** Path and query, e.g. `/origin.git/info/refs?service=git-upload-pack`. */
  readonly url: string;
  /** The Authorization header exactly as sent, if any. */
  readonly authorization: string | undefined;
  /** `upload-pack` (fetch) or `receive-pack` (push), when the request names one. */
  readonly service: 'upload-pack' | 'receive-pack' | undefined;
  readonly status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`; a repository `x.git` under the root is at `${url}/x.git`. */
  readonly url: string;
  readonly requests: RecordedGitRequest[];
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories (GIT_PROJECT_ROOT). */
  readonly projectRoot: string;
  /** The only accepted credential: `Authorization: Basic base64(x-access-token:<token>)`. */
  readonly token: string;
}

/** The header a client must send, as GitHub expects it for an App installation token. */
export function basicAuthHeader(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/**
 * A real smart-HTTP git server on 127.0.0.1: `git http-backend` run as CGI for every
 * request, behind Basic authentication (401 without the right token, on every request,
 * so a client that sends its credentials only after a challenge is still tested).
 * Bare repositories opt in to pushes with `http.receivepack=true` and to partial clones
 * with `uploadpack.allowFilter=true`.
 */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: RecordedGitRequest[] = [];
  const expected = basicAuthHeader(options.token);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const authorization = req.headers.authorization;
    const service = serviceOf(url);
    const record = (status: number) =>
      requests.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        authorization,
        service,
        status,
      });

    if (authorization !== expected) {
      record(401);
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="patchling-test"' });
      res.end('authentication required\n');
      return;
    }

    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
        // Apache passes request headers as HTTP_*; http-backend reads these two.
        ...(req.headers['git-protocol']
          ? { HTTP_GIT_PROTOCOL: String(req.headers['git-protocol']) }
          : {}),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
          : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    req.pipe(backend.stdin);
    backend.stdin.on('error', () => undefined);
    let stderr = '';
    backend.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

    let head = Buffer.alloc(0);
    let headersDone = false;
    backend.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const split = findHeaderEnd(head);
      if (!split) return;
      headersDone = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, split.index).toString('latin1'));
      record(status);
      res.writeHead(status, headers);
      const rest = head.subarray(split.index + split.length);
      if (rest.length > 0) res.write(rest);
    });
    backend.on('close', (code) => {
      if (!headersDone) {
        record(500);
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend exited ${code}: ${stderr}`);
        return;
      }
      res.end();
    });
    backend.on('error', (error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function serviceOf(url: URL): RecordedGitRequest['service'] {
  const named = url.searchParams.get('service') ?? url.pathname.split('/').pop() ?? '';
  if (named.endsWith('upload-pack')) return 'upload-pack';
  if (named.endsWith('receive-pack')) return 'receive-pack';
  return undefined;
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}
