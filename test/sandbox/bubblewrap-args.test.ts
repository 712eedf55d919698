import { describe, expect, it } from 'vitest';
import { buildBubblewrapArgs } from '../../src/sandbox/bubblewrap-args.js';
import type { BubblewrapProfile } from '../../src/sandbox/bubblewrap-args.js';

const base: BubblewrapProfile = {
  policy: 'workspace-write',
  workspace: '/tmp/ws',
  protectedPaths: ['/tmp/ws/.git', '/tmp/ws/vendor/lib/.git'],
  hostMounts: [
    { kind: 'ro-bind', source: '/usr', target: '/usr' },
    { kind: 'symlink', linkText: 'usr/bin', target: '/bin' },
    { kind: 'ro-bind', source: '/tmp/toolchain', target: '/tmp/toolchain' },
  ],
  uid: 1000,
  gid: 1000,
  hostname: 'patchling',
  home: '/home/patchling',
  cwd: '/tmp/ws/sub',
  env: { PATH: '/usr/bin', HOME: '/home/patchling' },
  tmpfsSizeBytes: 1024,
  etcDir: '/tmp/patchling-etc-1-abcdef',
};

/** Index of the option `name` whose next arguments are `values`. */
function indexOf(args: string[], name: string, ...values: string[]): number {
  return args.findIndex(
    (arg, index) =>
      arg === name && values.every((value, offset) => args[index + 1 + offset] === value),
  );
}

describe('buildBubblewrapArgs', () => {
  const args = buildBubblewrapArgs(base);

  it('isolates network, pids, user (uid 1000), and drops capabilities', () => {
    for (const flag of [
      '--unshare-net',
      '--unshare-pid',
      '--unshare-user',
      '--unshare-ipc',
      '--die-with-parent',
      '--new-session',
      '--disable-userns',
      '--clearenv',
    ]) {
      expect(args).toContain(flag);
    }
    expect(indexOf(args, '--uid', '1000')).toBeGreaterThan(-1);
    expect(indexOf(args, '--cap-drop', 'ALL')).toBeGreaterThan(-1);
    expect(args).not.toContain('--share-net');
  });

  it('never binds the host root or the whole of /etc', () => {
    expect(indexOf(args, '--bind', '/', '/')).toBe(-1);
    expect(indexOf(args, '--ro-bind', '/', '/')).toBe(-1);
    expect(indexOf(args, '--ro-bind', '/etc', '/etc')).toBe(-1);
    expect(args.join(' ')).not.toMatch(/shadow|\/etc\/ssh|docker\.sock/);
  });

  it('binds the workspace writable, then .git read-only over it, after the private /tmp', () => {
    const tmp = indexOf(args, '--tmpfs', '/tmp');
    const workspace = indexOf(args, '--bind', '/tmp/ws', '/tmp/ws');
    const git = indexOf(args, '--ro-bind', '/tmp/ws/.git', '/tmp/ws/.git');
    const nested = indexOf(args, '--ro-bind', '/tmp/ws/vendor/lib/.git', '/tmp/ws/vendor/lib/.git');
    expect(nested).toBeGreaterThan(git);
    const extra = indexOf(args, '--ro-bind', '/tmp/toolchain', '/tmp/toolchain');
    expect(tmp).toBeGreaterThan(-1);
    expect(workspace).toBeGreaterThan(tmp);
    expect(extra).toBeGreaterThan(tmp);
    expect(git).toBeGreaterThan(workspace);
  });

  it('shows workspace mounts read-only over the workspace, under either policy', () => {
    const mount = { source: '/tmp/checkout/node_modules', target: '/tmp/ws/node_modules' };
    for (const policy of ['workspace-write', 'read-only'] as const) {
      const mounted = buildBubblewrapArgs({ ...base, policy, workspaceMounts: [mount] });
      const at = indexOf(mounted, '--ro-bind', mount.source, mount.target);
      expect(at).toBeGreaterThan(-1);
      expect(at).toBeGreaterThan(
        Math.max(
          indexOf(mounted, '--bind', '/tmp/ws', '/tmp/ws'),
          indexOf(mounted, '--ro-bind', '/tmp/ws', '/tmp/ws'),
        ),
      );
      expect(indexOf(mounted, '--bind', mount.source, mount.target)).toBe(-1);
    }
    expect(args.filter((arg) => arg.includes('node_modules'))).toEqual([]);
  });

  it('binds the workspace read-only under the read-only policy', () => {
    const readOnly = buildBubblewrapArgs({ ...base, policy: 'read-only' });
    expect(indexOf(readOnly, '--ro-bind', '/tmp/ws', '/tmp/ws')).toBeGreaterThan(-1);
    expect(indexOf(readOnly, '--bind', '/tmp/ws', '/tmp/ws')).toBe(-1);
  });

  it('sizes every tmpfs and makes the root read-only', () => {
    for (const target of ['/tmp', '/dev/shm', '/home/patchling']) {
      const index = indexOf(args, '--tmpfs', target);
      expect(args.slice(index - 2, index)).toEqual(['--size', '1024']);
    }
    expect(indexOf(args, '--remount-ro', '/')).toBeGreaterThan(-1);
    // --dev takes no size: the /dev tmpfs is made read-only instead, after /dev/shm is mounted.
    expect(indexOf(args, '--remount-ro', '/dev')).toBeGreaterThan(
      indexOf(args, '--tmpfs', '/dev/shm'),
    );
  });

  it('passes only the given environment, and leaves the command to the caller', () => {
    const setenv = args.flatMap((arg, index) => (arg === '--setenv' ? [args[index + 1]] : []));
    expect(setenv).toEqual(['PATH', 'HOME']);
    expect(args.slice(-3)).toEqual(['--setenv', 'HOME', '/home/patchling']);
    expect(args).not.toContain('--');
    expect(indexOf(args, '--chdir', '/tmp/ws/sub')).toBeGreaterThan(-1);
  });
});

describe('buildBubblewrapArgs with egress', () => {
  it('binds the proxy socket read-only, after the tmpfs mounts, and changes nothing else', () => {
    const plain = buildBubblewrapArgs(base);
    const args = buildBubblewrapArgs({
      ...base,
      egressSocket: '/tmp/patchling-egress-x/proxy.sock',
    });
    const bind = indexOf(
      args,
      '--ro-bind',
      '/tmp/patchling-egress-x/proxy.sock',
      '/run/patchling/egress.sock',
    );
    expect(bind).toBeGreaterThan(indexOf(args, '--tmpfs', '/tmp'));
    expect(args.filter((_, i) => i < bind || i > bind + 2)).toEqual(plain);
    expect(args).toContain('--unshare-net');
  });
});
