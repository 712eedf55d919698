import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { assertEnvAllowlistSafe, buildSandboxEnv } from '../../src/sandbox/sandbox-env.js';

describe('buildSandboxEnv', () => {
  const parentEnv = {
    PATH: '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    GITHUB_TOKEN: 'ghs_secret',
    OPENAI_API_KEY: 'sk-secret',
    HOME: '/root',
    TMPDIR: '/var/host-tmp',
    NODE_OPTIONS: '--max-old-space-size=4096',
  };

  it('rebuilds the environment from the allowlist only', () => {
    const env = buildSandboxEnv({
      parentEnv,
      allowlist: ['NODE_OPTIONS'],
      home: '/home/patchling',
      tmpdir: '/tmp',
      nodeBinDir: '/opt/node/bin',
    });
    expect(env).toMatchObject({
      PATH: '/usr/bin:/bin:/opt/node/bin',
      LANG: 'en_US.UTF-8',
      HOME: '/home/patchling',
      TMPDIR: '/tmp',
      CI: 'true',
      NODE_OPTIONS: '--max-old-space-size=4096',
    });
    expect(Object.values(env).join('\n')).not.toMatch(/secret/);
    expect(env).not.toHaveProperty('GITHUB_TOKEN');
  });

  it('refuses to allowlist names that look like credentials', () => {
    for (const name of ['GITHUB_TOKEN', 'OPENAI_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD']) {
      expect(() => assertEnvAllowlistSafe([name])).toThrow(UserError);
    }
    expect(() => assertEnvAllowlistSafe(['GIT_AUTHOR_NAME', 'NODE_OPTIONS'])).not.toThrow();
    expect(() => assertEnvAllowlistSafe(['BAD NAME'])).toThrow(UserError);
  });

  it("refuses Patchling's own settings, which can carry the operator's credentials", () => {
    for (const name of ['PATCHLING_QUEUE_URL', 'PATCHLING_NETWORK_ALLOW', 'OPENAI_BASE_URL']) {
      expect(() => assertEnvAllowlistSafe([name])).toThrow(/Patchling's own settings/);
    }
  });

  it('leaves out a value that is a URL with a password in it, whatever its name', () => {
    const env = buildSandboxEnv({
      parentEnv: {
        DATABASE_URL: 'postgres://app:hunter2@db.internal/app',
        CACHE_URL: 'redis://:hunter2@redis.internal:6379',
        DOCS_URL: 'https://user@docs.example.com/path',
        MIRROR: 'https://mirror.example.com/npm',
      },
      allowlist: ['DATABASE_URL', 'CACHE_URL', 'DOCS_URL', 'MIRROR'],
      home: '/home/patchling',
      tmpdir: '/tmp',
      nodeBinDir: '/opt/node/bin',
    });
    expect(Object.values(env).join('\n')).not.toContain('hunter2');
    expect(env).not.toHaveProperty('DATABASE_URL');
    expect(env).not.toHaveProperty('CACHE_URL');
    expect(env).toMatchObject({
      DOCS_URL: 'https://user@docs.example.com/path',
      MIRROR: 'https://mirror.example.com/npm',
    });
  });
});
