import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import { closeSandboxes, makeTempDir, openSandbox, runScript } from './helpers.js';

let workspace: string;
let outside: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const ws = await makeTempDir('patchling-iso-ws-');
  const out = await makeTempDir('patchling-iso-outside-');
  cleanups.push(ws.remove, out.remove);
  workspace = ws.dir;
  outside = out.dir;
  await writeFile(path.join(outside, 'host-file.txt'), 'host data\n');
  execFileSync('git', ['init', '-q', workspace]);
  await writeFile(path.join(workspace, 'existing.txt'), 'original\n');
  await mkdir(path.join(workspace, 'sub'));
});

afterAll(async () => {
  await closeSandboxes();
  for (const cleanup of cleanups) await cleanup();
});

describe('network', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((_request, response) => response.end('reachable'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('cannot reach a server on the host loopback that the host itself reaches', async () => {
    const fromHost = await fetch(`http://127.0.0.1:${port}/`);
    expect(await fromHost.text()).toBe('reachable');

    const sandbox = await openSandbox({ workspace });
    const viaNode = await sandbox.run({
      argv: [
        'node',
        '-e',
        `fetch('http://127.0.0.1:${port}/').then(r => r.text()).then(t => console.log('GOT', t), e => { console.log('FAILED', e.cause?.code); process.exit(3); })`,
      ],
      cwd: workspace,
      timeoutMs: 20_000,
    });
    expect(viaNode.output).not.toContain('GOT');
    expect(viaNode.output).toContain('FAILED ECONNREFUSED');
    expect(viaNode.exitCode).toBe(3);

    const viaBash = await runScript(
      sandbox,
      `exec 3<>/dev/tcp/127.0.0.1/${port} && echo CONNECTED || echo REFUSED`,
    );
    expect(viaBash.output).toContain('REFUSED');
    expect(viaBash.output).not.toContain('CONNECTED');
  });

  it("cannot reach the host's other addresses either, and has no interface but lo", async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
    const sandbox = await openSandbox({ workspace });
    const interfaces = await runScript(sandbox, 'cat /proc/net/dev');
    const names = interfaces.output
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]?.trim())
      .filter((name) => name !== undefined && name !== '');
    expect(names).toEqual(['lo']);

    if (external === undefined) return;
    const fromHost = await fetch(`http://${external}:${port}/`);
    expect(fromHost.status).toBe(200);
    const inside = await runScript(
      sandbox,
      `exec 3<>/dev/tcp/${external}/${port} && echo CONNECTED || echo FAILED`,
    );
    expect(inside.output).toContain('FAILED');
    expect(inside.output).toMatch(/Network is unreachable/);
  });

  it('cannot resolve names', async () => {
    const sandbox = await openSandbox({ workspace });
    const result = await sandbox.run({
      argv: [
        'node',
        '-e',
        "require('dns').lookup('example.com', (e, a) => { console.log(e ? 'ERR ' + e.code : 'ADDR ' + a); })",
      ],
      cwd: workspace,
      timeoutMs: 20_000,
    });
    expect(result.output).toMatch(/ERR (EAI_AGAIN|ENOTFOUND)/);
  });
});

describe('secrets', () => {
  const saved = { ...process.env };
  const secrets = {
    GITHUB_TOKEN: 'ghs_FAKEgithubTOKEN1234567890abcdef',
    OPENAI_API_KEY: 'sk-FAKEopenaiKEY0987654321zyxwvu',
  };

  afterEach(() => {
    for (const name of Object.keys(secrets)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    delete process.env.ISOLATION_TEST_VISIBLE;
  });

  it('keeps parent tokens out of env, every /proc/*/environ inside, and the workspace', async () => {
    Object.assign(process.env, secrets, { ISOLATION_TEST_VISIBLE: 'visible-value' });
    expect(process.env.GITHUB_TOKEN).toBe(secrets.GITHUB_TOKEN);

    const sandbox = await openSandbox({ workspace, envAllowlist: ['ISOLATION_TEST_VISIBLE'] });
    const result = await runScript(
      sandbox,
      [
        'env',
        'echo ---',
        // Every process visible inside, bwrap's own pid-1 reaper included.
        'for f in /proc/[0-9]*/environ; do echo "== $f"; tr "\\0" "\\n" < "$f"; done',
        'env > dumped-env.txt',
      ].join('\n'),
    );
    expect(result.exitCode).toBe(0);
    // Not vacuous: allowlisted values do get through, and /proc/1/environ was read.
    expect(result.output).toContain('ISOLATION_TEST_VISIBLE=visible-value');
    expect(result.output).toContain('== /proc/1/environ');
    expect(result.output).toMatch(/== \/proc\/\d+\/environ\n(?:.*\n)*?PATH=/);
    for (const value of Object.values(secrets)) expect(result.output).not.toContain(value);
    for (const name of Object.keys(secrets)) expect(result.output).not.toContain(`${name}=`);

    const files = await readdir(workspace, { recursive: true });
    expect(files).toContain('dumped-env.txt');
    for (const file of files) {
      const full = path.join(workspace, file);
      const content = await readFile(full, 'utf8').catch(() => '');
      for (const value of Object.values(secrets)) expect(content).not.toContain(value);
    }
  });

  it.each(['GITHUB_TOKEN', 'SSH_KEY', 'AWS_SECRET_ACCESS_KEY'])(
    'refuses to allowlist %s, a variable that looks like a credential',
    async (name) => {
      await expect(openSandbox({ workspace, envAllowlist: [name] })).rejects.toThrow(
        /looks like a credential/,
      );
    },
  );

  it('keeps secrets out under danger-full-access too, and warns that it is unsandboxed', async () => {
    Object.assign(process.env, secrets);
    const warnings: string[] = [];
    const sandbox = await openSandbox({
      workspace,
      policy: 'danger-full-access',
      onWarning: (message) => warnings.push(message),
    });
    expect(warnings.join('\n')).toMatch(/NO sandbox/);
    const result = await runScript(sandbox, 'env');
    expect(result.output).toContain('PATH=');
    for (const value of Object.values(secrets)) expect(result.output).not.toContain(value);
  });
});

describe('filesystem under workspace-write', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox({ workspace, extraReadOnlyPaths: [outside] });
  });

  it('writes in the workspace, as a non-root user, to files the host created', async () => {
    const result = await runScript(
      sandbox,
      'id -u; echo new > created.txt && echo appended >> existing.txt && mkdir -p sub/deep && echo ok > sub/deep/f && echo WROTE',
    );
    expect(result.output).toContain('WROTE');
    expect(result.output.split('\n')[0]).toBe('1000');
    expect(await readFile(path.join(workspace, 'created.txt'), 'utf8')).toBe('new\n');
    expect(await readFile(path.join(workspace, 'existing.txt'), 'utf8')).toBe(
      'original\nappended\n',
    );
  });

  it('cannot write into .git', async () => {
    const before = await readFile(path.join(workspace, '.git', 'config'), 'utf8');
    const result = await runScript(
      sandbox,
      'echo "[core]\n\tfsmonitor = evil" >> .git/config; echo x > .git/hooks/pre-commit; git config user.name evil; echo done',
    );
    expect(result.output).toMatch(/Read-only file system/);
    expect(await readFile(path.join(workspace, '.git', 'config'), 'utf8')).toBe(before);
    expect(existsSync(path.join(workspace, '.git', 'hooks', 'pre-commit'))).toBe(false);
  });

  it('cannot write outside the workspace: system dirs, read-only extras, unbound host paths', async () => {
    const result = await runScript(
      sandbox,
      [
        `cat ${outside}/host-file.txt`,
        `echo x > ${outside}/new.txt || echo DENIED-EXTRA`,
        'touch /usr/x || echo DENIED-USR',
        'touch /etc/x || echo DENIED-ETC',
        'echo "evil:x:0:0::/:/bin/sh" >> /etc/passwd || echo DENIED-PASSWD',
        'touch /x || echo DENIED-ROOT',
        `ls ${path.dirname(workspace)}/ | grep -c patchling-iso-outside || echo HIDDEN-SIBLING`,
      ].join('\n'),
    );
    // The extra path is visible (so the write really was refused, not missed).
    expect(result.output).toContain('host data');
    for (const marker of ['EXTRA', 'USR', 'ETC', 'PASSWD', 'ROOT']) {
      expect(result.output).toContain(`DENIED-${marker}`);
    }
    expect(existsSync(path.join(outside, 'new.txt'))).toBe(false);
    expect(existsSync('/usr/x')).toBe(false);
  });

  it('gives each command a private /tmp and a fresh HOME', async () => {
    const first = await runScript(
      sandbox,
      'echo secret > /tmp/left && echo $HOME > ~/left && echo OK',
    );
    expect(first.output).toContain('OK');
    const second = await runScript(sandbox, 'cat /tmp/left ~/left 2>&1; echo $HOME');
    expect(second.output).toMatch(/No such file/);
    expect(second.output.trim().endsWith('/home/patchling')).toBe(true);
    expect(existsSync(path.join(os.tmpdir(), 'left'))).toBe(false);
  });

  it('cannot read /etc/shadow, ssh host keys or host sockets, though they exist on the host', async () => {
    expect(existsSync('/etc/shadow')).toBe(true);
    const result = await runScript(
      sandbox,
      [
        'cat /etc/shadow && echo READ-SHADOW',
        'cat /etc/gshadow && echo READ-GSHADOW',
        'ls /etc/ssh && echo SAW-SSH',
        'ls /run /var/run 2>&1 | grep -q docker.sock && echo SAW-DOCKER',
        'ls /root && echo SAW-ROOT',
        'echo END',
      ].join('\n'),
    );
    expect(result.output).toContain('END');
    expect(result.output).not.toMatch(/READ-SHADOW|READ-GSHADOW|SAW-SSH|SAW-DOCKER|SAW-ROOT/);
  });

  it('drops every capability and forbids new user namespaces', async () => {
    const result = await runScript(
      sandbox,
      'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; unshare --user true && echo NESTED-USERNS',
    );
    expect(result.output).toMatch(/CapEff:\s+0000000000000000/);
    expect(result.output).toMatch(/CapBnd:\s+0000000000000000/);
    expect(result.output).not.toContain('NESTED-USERNS');
  });

  it('runs node from the host install', async () => {
    const result = await sandbox.run({
      argv: ['node', '-p', 'process.version'],
      cwd: path.join(workspace, 'sub'),
      timeoutMs: 20_000,
    });
    expect(result.output.trim()).toBe(process.version);
  });

  it('refuses a cwd outside the workspace', async () => {
    await expect(sandbox.run({ argv: ['true'], cwd: outside, timeoutMs: 5000 })).rejects.toThrow(
      /outside the workspace/,
    );
  });
});

describe('running', () => {
  it('feeds stdin and returns stdout and stderr in the order they were written', async () => {
    const sandbox = await openSandbox({ workspace });
    const result = await runScript(
      sandbox,
      'read line; echo "out:$line"; echo err >&2; echo last',
      {
        stdin: 'hello\n',
      },
    );
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe('out:hello\nerr\nlast\n');
    expect(result.totalOutputBytes).toBe(result.output.length);
  });

  it('reports the exit code of the command itself', async () => {
    const sandbox = await openSandbox({ workspace });
    expect((await runScript(sandbox, 'exit 42')).exitCode).toBe(42);
  });
});

describe('filesystem under read-only', () => {
  it('refuses every write to the workspace, .git included, but keeps a private /tmp', async () => {
    const sandbox = await openSandbox({ workspace, policy: 'read-only' });
    await chmod(path.join(workspace, 'existing.txt'), 0o666);
    const before = await readFile(path.join(workspace, 'existing.txt'), 'utf8');
    const result = await runScript(
      sandbox,
      [
        'cat existing.txt > /dev/null && echo READ-OK',
        'echo x >> existing.txt || echo DENIED-APPEND',
        'touch new-file || echo DENIED-CREATE',
        'rm existing.txt || echo DENIED-DELETE',
        'mkdir sub/dir || echo DENIED-MKDIR',
        'touch .git/x || echo DENIED-GIT',
        'echo scratch > /tmp/s && echo TMP-OK',
      ].join('\n'),
    );
    expect(result.output).toContain('READ-OK');
    for (const marker of ['APPEND', 'CREATE', 'DELETE', 'MKDIR', 'GIT']) {
      expect(result.output).toContain(`DENIED-${marker}`);
    }
    expect(result.output).toContain('TMP-OK');
    expect(await readFile(path.join(workspace, 'existing.txt'), 'utf8')).toBe(before);
    expect(existsSync(path.join(workspace, 'new-file'))).toBe(false);
  });
});
