import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { readAppConfig } from '../../src/triggers/app-config.js';
import { appPrivateKey, WEBHOOK_SECRET } from '../support/app-harness.js';

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    readAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('readAppConfig accepted the environment');
}

describe('readAppConfig', () => {
  it('names every missing setting at once, not only the first', () => {
    const message = problemsOf({});
    expect(message).toMatch(/^The App is not configured:/);
    expect(message).toContain('APP_ID');
    expect(message).toContain('PRIVATE_KEY');
    expect(message).toContain('WEBHOOK_SECRET');
    expect(message.split('\n- ')).toHaveLength(4);
  });

  it('refuses a webhook secret shorter than 16 characters, and a non-numeric APP_ID', () => {
    const message = problemsOf({
      APP_ID: 'patchling',
      PRIVATE_KEY: appPrivateKey(),
      WEBHOOK_SECRET: 'short-secret',
    });
    expect(message).toContain('APP_ID must be the App id');
    expect(message).toContain('WEBHOOK_SECRET must be set (at least 16 characters)');
    expect(message).not.toContain('PRIVATE_KEY');
  });

  it('refuses a private key that is not a PEM, and a key file that does not exist', () => {
    expect(problemsOf({ APP_ID: '1', PRIVATE_KEY: 'hunter2', WEBHOOK_SECRET })).toContain(
      'PRIVATE_KEY (or PRIVATE_KEY_PATH) must hold the App private key (PEM)',
    );
    expect(
      problemsOf({ APP_ID: '1', PRIVATE_KEY_PATH: '/nonexistent/app.pem', WEBHOOK_SECRET }),
    ).toContain('PRIVATE_KEY_PATH: ');
  });

  it('never echoes the secrets it was given in its complaints', () => {
    const key = appPrivateKey();
    const message = problemsOf({
      APP_ID: 'x',
      PRIVATE_KEY: key,
      WEBHOOK_SECRET: 'tiny-secret',
    });
    expect(message).not.toContain('tiny-secret');
    expect(message).not.toContain(key.split('\n')[1]);
  });

  it('refuses bad numbers and durations', () => {
    const message = problemsOf({
      APP_ID: '1',
      PRIVATE_KEY: appPrivateKey(),
      WEBHOOK_SECRET,
      PORT: '-1',
      PATCHLING_CONCURRENCY: '1.5',
      PATCHLING_JOB_TIMEOUT: 'soon',
    });
    expect(message).toContain('PORT must be a port number (0 picks a free one)');
    expect(message).toContain('PATCHLING_CONCURRENCY must be a positive whole number');
    expect(message).toContain('PATCHLING_JOB_TIMEOUT must be a duration');
  });

  it('takes PORT=0 (a free port), and refuses a port past 65535', () => {
    const env = { APP_ID: '1', PRIVATE_KEY: appPrivateKey(), WEBHOOK_SECRET };
    expect(readAppConfig({ ...env, PORT: '0' }).port).toBe(0);
    expect(readAppConfig({ ...env, PORT: '8080' }).port).toBe(8080);
    expect(problemsOf({ ...env, PORT: '65536' })).toContain('PORT must be a port number');
  });

  it('reads a complete environment, with \\n-escaped keys and defaults', () => {
    const key = appPrivateKey();
    const config = readAppConfig({
      APP_ID: '12345',
      PRIVATE_KEY: key.replace(/\n/g, '\\n'),
      WEBHOOK_SECRET,
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
    });
    expect(config).toEqual({
      appId: 12345,
      privateKey: key,
      webhookSecret: WEBHOOK_SECRET,
      port: 3000,
      host: '0.0.0.0',
      webhookPath: '/api/github/webhooks',
      commandName: 'patchling',
      concurrency: 2,
      jobTimeoutMs: 30 * 60_000,
      maxTurns: 60,
      githubApiUrl: 'https://ghe.example.com/api/v3',
      cloneBaseUrl: 'https://github.com',
      gitCacheMaxBytes: 5120 * 1024 * 1024,
      // scan.schedule is checked every ten minutes (PATCHLING_SCAN_TIMER=off turns it off).
      scanTimerMs: 600_000,
      // No PATCHLING_QUEUE_URL: the SQLite queue; one installation may use every slot.
      perInstallationConcurrency: 2,
      shutdownGraceMs: 25_000,
    });
  });

  it('takes the git cache size cap in MB from PATCHLING_GIT_CACHE_MAX_MB', () => {
    const config = readAppConfig({
      APP_ID: '12345',
      PRIVATE_KEY: appPrivateKey(),
      WEBHOOK_SECRET,
      PATCHLING_GIT_CACHE_MAX_MB: '100',
    });
    expect(config.gitCacheMaxBytes).toBe(100 * 1024 * 1024);
    expect(() =>
      readAppConfig({
        APP_ID: '12345',
        PRIVATE_KEY: appPrivateKey(),
        WEBHOOK_SECRET,
        PATCHLING_GIT_CACHE_MAX_MB: 'lots',
      }),
    ).toThrow('PATCHLING_GIT_CACHE_MAX_MB must be a positive whole number');
  });

  it('reads the queue settings: a Redis URL, the per-installation limit, the shutdown grace', () => {
    const config = readAppConfig({
      APP_ID: '1',
      PRIVATE_KEY: appPrivateKey(),
      WEBHOOK_SECRET,
      PATCHLING_QUEUE_URL: 'redis://redis.internal:6379/2',
      PATCHLING_CONCURRENCY: '8',
      PATCHLING_INSTALLATION_CONCURRENCY: '3',
      PATCHLING_SHUTDOWN_GRACE: '2m',
    });
    expect(config).toMatchObject({
      queueUrl: 'redis://redis.internal:6379/2',
      concurrency: 8,
      perInstallationConcurrency: 3,
      shutdownGraceMs: 120_000,
    });
    expect(() =>
      readAppConfig({
        APP_ID: '1',
        PRIVATE_KEY: appPrivateKey(),
        WEBHOOK_SECRET,
        PATCHLING_QUEUE_URL: 'http://redis:6379',
      }),
    ).toThrow(/PATCHLING_QUEUE_URL must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('reads the key from PRIVATE_KEY_PATH', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-key-'));
    try {
      const file = path.join(dir, 'app.pem');
      await writeFile(file, appPrivateKey());
      const config = readAppConfig({ APP_ID: '7', PRIVATE_KEY_PATH: file, WEBHOOK_SECRET });
      expect(config.privateKey).toBe(appPrivateKey());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
