import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { detectProcessLimit, findPidsCgroups } from '../../src/sandbox/process-limit.js';

describe('findPidsCgroups', () => {
  it('finds our cgroup v2 directory under the cgroup2 mount', () => {
    const cgroup = '0::/user.slice/user-1000.slice/session-1.scope\n';
    const mountinfo =
      '35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n';
    expect(findPidsCgroups(cgroup, mountinfo)).toEqual([
      { version: 2, parent: '/sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope' },
    ]);
  });

  it('finds the v1 pids hierarchy, and prefers v2 when both exist', () => {
    const cgroup = '8:pids:/docker/abc\n0::/\n';
    const mountinfo = [
      '40 30 0:35 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
      '41 30 0:36 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
      '42 30 0:37 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    ].join('\n');
    expect(findPidsCgroups(cgroup, mountinfo)).toEqual([
      { version: 2, parent: '/sys/fs/cgroup/unified' },
      { version: 1, parent: '/sys/fs/cgroup/pids' },
    ]);
  });

  it('finds nothing without a cgroup mount', () => {
    expect(findPidsCgroups('0::/\n', '')).toEqual([]);
  });
});

describe('detectProcessLimit', () => {
  it('uses RLIMIT_NPROC when bwrap runs as a non-root host user', async () => {
    expect(await detectProcessLimit({ hostUid: 1001 })).toEqual({ kind: 'rlimit' });
  });

  it('refuses a cgroupParent that cannot hold cgroups', async () => {
    await expect(
      detectProcessLimit({ hostUid: 0, cgroupParent: '/nonexistent/patchling' }),
    ).rejects.toThrow(UserError);
  });

  it('uses a prepared cgroupParent', async (context) => {
    const found = await detectProcessLimit({ hostUid: 0 });
    if (process.getuid?.() !== 0 || found.kind !== 'cgroup') return context.skip();
    const prepared = path.join(found.parent, `patchling-test-parent-${process.pid}`);
    await mkdir(prepared);
    try {
      expect(await detectProcessLimit({ hostUid: 0, cgroupParent: prepared })).toEqual({
        kind: 'cgroup',
        version: found.version,
        parent: prepared,
      });
    } finally {
      await rmdir(prepared);
    }
  });
});
