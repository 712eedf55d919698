/**
 * The deployment files agree with each other and with what `npm run test:image` proved:
 * compose.yaml runs the image's App with the state dir on a volume and the container
 * options bubblewrap needs, and the seccomp profile keeps the engine's filter, adding only
 * sethostname/setdomainname.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const SCRIPT = fileURLToPath(new URL('../../scripts/seccomp-allow-hostname.mjs', import.meta.url));
const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

interface SeccompRule {
  names: string[];
  action: string;
  includes?: { caps?: string[] };
  excludes?: { caps?: string[] };
}

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
    secrets: Record<string, { file: string }>;
  };
  const app = compose.services.app as {
    build: string;
    environment: Record<string, string>;
    volumes: string[];
    security_opt: string[];
    secrets: string[];
  };
  const dockerfile = read('Dockerfile');

  it("keeps the App's state on a named volume at the image's state dir", () => {
    const stateDir = /^VOLUME (\S+)$/m.exec(dockerfile)?.[1];
    expect(stateDir).toBe('/var/lib/patchling');
    expect(app.environment.PATCHLING_STATE_DIR).toBe(stateDir);
    expect(app.volumes).toEqual([`patchling-state:${stateDir}`]);
    expect(Object.keys(compose.volumes)).toContain('patchling-state');
  });

  it('gives the container the sandbox options, not --privileged or an unconfined seccomp', () => {
    expect(app.security_opt).toEqual([
      'systempaths=unconfined',
      'seccomp=./deploy/seccomp-bwrap.json',
    ]);
    expect(app).not.toHaveProperty('privileged');
    expect(app).not.toHaveProperty('cap_add');
  });

  it('reads the private key from a secret file, not from the environment', () => {
    expect(app.secrets).toEqual(['github-app-private-key']);
    expect(app.environment.PRIVATE_KEY_PATH).toBe('/run/secrets/github-app-private-key');
    expect(compose.secrets['github-app-private-key']?.file).toBe('./patchling.private-key.pem');
  });

  it('keeps Redis behind a profile: the SQLite queue in the volume is the default', () => {
    expect(compose.services.redis?.profiles).toEqual(['redis']);
  });
});

describe('deploy/seccomp-bwrap.json', () => {
  const profile = JSON.parse(read('deploy/seccomp-bwrap.json')) as {
    defaultAction: string;
    syscalls: SeccompRule[];
  };
  const rulesFor = (name: string) => profile.syscalls.filter((rule) => rule.names.includes(name));

  it('still denies what it does not list', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    for (const name of ['mount', 'unshare', 'setns', 'clone'])
      expect(rulesFor(name)).not.toEqual([]);
    expect(
      rulesFor('kexec_load').every(
        (rule) => rule.action !== 'SCMP_ACT_ALLOW' || rule.includes?.caps,
      ),
    ).toBe(true);
  });

  it('allows sethostname and setdomainname without CAP_SYS_ADMIN, in one rule', () => {
    for (const name of ['sethostname', 'setdomainname']) {
      expect(rulesFor(name)).toEqual([
        { names: ['sethostname', 'setdomainname'], action: 'SCMP_ACT_ALLOW', args: [] },
      ]);
    }
  });

  it('is what scripts/seccomp-allow-hostname.mjs makes of a default profile: only the two calls change', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-seccomp-'));
    try {
      // Docker's default profile's shape: sethostname only with CAP_SYS_ADMIN.
      const source = {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [] },
          {
            names: ['sethostname', 'mount'],
            action: 'SCMP_ACT_ALLOW',
            includes: { caps: ['CAP_SYS_ADMIN'] },
          },
          {
            names: ['sethostname', 'setdomainname'],
            action: 'SCMP_ACT_ERRNO',
            excludes: { caps: ['CAP_SYS_ADMIN'] },
          },
        ],
      };
      const input = path.join(dir, 'default.json');
      const output = path.join(dir, 'out.json');
      await writeFile(input, JSON.stringify(source));
      await promisify(execFile)(process.execPath, [SCRIPT, input, output]);
      expect(JSON.parse(await readFile(output, 'utf8'))).toEqual({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [] },
          { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
          { names: ['sethostname', 'setdomainname'], action: 'SCMP_ACT_ALLOW', args: [] },
        ],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
