import { spawn } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';

export type SandboxSupport =
  | { readonly supported: true; readonly bwrapPath: string }
  | {
      readonly supported: false;
      readonly problem: 'missing' | 'namespaces' | 'failed';
      /** Says what is wrong and how to fix it, ready for a UserError. */
      readonly message: string;
    };

export interface CheckSandboxSupportOptions {
  /** Default: `bwrap` found on PATH. Tests pass a fake. */
  readonly bwrapPath?: string;
  /** Where `bwrap` is looked for when bwrapPath is not given. */
  readonly searchPath?: string;
  /** Where the AppArmor userns sysctl is read; tests point it elsewhere. */
  readonly procDir?: string;
  readonly timeoutMs?: number;
}

const DANGER_HINT =
  'Only on a throwaway VM that is already isolated, you may instead choose the ' +
  "'danger-full-access' sandbox policy, which runs commands with no sandbox at all.";

/**
 * Proves bubblewrap can make the namespaces the profile needs by running `true` in them.
 * Nothing is cached: call it when a sandbox is created (a few milliseconds).
 */
export async function checkSandboxSupport(
  options: CheckSandboxSupportOptions = {},
): Promise<SandboxSupport> {
  if (process.platform !== 'linux') {
    return {
      supported: false,
      problem: 'missing',
      message: `The command sandbox needs Linux with bubblewrap; this is ${process.platform}. ${DANGER_HINT}`,
    };
  }
  const bwrapPath =
    options.bwrapPath ??
    (await findOnPath('bwrap', options.searchPath ?? process.env.PATH ?? '')) ??
    // A PATH trimmed by a service manager should not hide the distribution's package.
    ((await isExecutable('/usr/bin/bwrap')) ? '/usr/bin/bwrap' : undefined);
  if (bwrapPath === undefined || !(await isExecutable(bwrapPath))) {
    return {
      supported: false,
      problem: 'missing',
      message:
        `bubblewrap (bwrap) was not found${bwrapPath === undefined ? ' on PATH' : ` at ${bwrapPath}`}; ` +
        'every command the model runs needs it. Install the `bubblewrap` package ' +
        '(`sudo apt-get install -y bubblewrap` on Debian/Ubuntu, `sudo dnf install bubblewrap` on Fedora, ' +
        '`apk add bubblewrap` on Alpine). ' +
        DANGER_HINT,
    };
  }

  const probe = await runProbe(bwrapPath, options.timeoutMs ?? 10_000);
  if (probe.ok) return { supported: true, bwrapPath };
  const restricted = await readAppArmorRestriction(options.procDir ?? '/proc');
  const looksLikeNamespaces =
    restricted ||
    /permission denied|operation not permitted|no permissions|creating new namespace|uid map|setting up|no space left on device/i.test(
      probe.output,
    );
  const detail = probe.output.trim() === '' ? `exit ${probe.exitCode}` : probe.output.trim();
  if (!looksLikeNamespaces) {
    return {
      supported: false,
      problem: 'failed',
      message: `bubblewrap at ${bwrapPath} failed its self-test: ${detail}. ${DANGER_HINT}`,
    };
  }
  return {
    supported: false,
    problem: 'namespaces',
    message:
      `bubblewrap could not create the namespaces the sandbox needs (${detail}). ` +
      (restricted
        ? 'This host restricts unprivileged user namespaces through AppArmor ' +
          '(kernel.apparmor_restrict_unprivileged_userns=1, the default on Ubuntu 23.10+ and GitHub ubuntu-24.04 runners). '
        : '') +
      'Fix: `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or install an AppArmor profile ' +
      'that allows userns for bwrap (/etc/apparmor.d/bwrap with `userns,`); check that ' +
      'user.max_user_namespaces is not 0; in Docker, run with `--security-opt seccomp=unconfined ' +
      '--security-opt apparmor=unconfined` (or a profile that allows unshare). ' +
      DANGER_HINT,
  };
}

async function runProbe(
  bwrapPath: string,
  timeoutMs: number,
): Promise<{ ok: boolean; exitCode: number | null; output: string }> {
  // The same namespaces as the real profile, the host root shown read-only, and `true`.
  const args = [
    '--unshare-user',
    '--uid',
    '1000',
    '--gid',
    '1000',
    '--disable-userns',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--new-session',
    '--ro-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    'true',
  ];
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(bwrapPath, args, {
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const collect = (chunk: Buffer): void => {
      if (output.length < 4000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, exitCode: null, output: error.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, exitCode: code, output });
    });
  });
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(':')) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readAppArmorRestriction(procDir: string): Promise<boolean> {
  const value = await readFile(
    path.join(procDir, 'sys/kernel/apparmor_restrict_unprivileged_userns'),
    'utf8',
  ).catch(() => '0');
  return value.trim() === '1';
}
