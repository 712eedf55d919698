import { describe, expect, it } from 'vitest';
import { authHeaderEnv, tokenSpellings } from '../../../src/workspace/git/auth-header.js';
import { buildGitEnvironment } from '../../../src/workspace/git/git-environment.js';

describe('buildGitEnvironment', () => {
  it('keeps only what git needs from the host and forces the rest', () => {
    const env = buildGitEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/me',
      GIT_DIR: '/elsewhere',
      GIT_SSH_COMMAND: 'evil',
      GITHUB_TOKEN: 'ghs_hostToken123456',
      OPENAI_API_KEY: 'sk-123',
      https_proxy: 'http://proxy:3128',
      GIT_SSL_CAINFO: '/etc/ssl/ca.pem',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      https_proxy: 'http://proxy:3128',
      GIT_SSL_CAINFO: '/etc/ssl/ca.pem',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    });
  });
});

describe('authHeaderEnv', () => {
  it('scopes the header to the remote origin, as environment config', () => {
    expect(authHeaderEnv(new URL('https://github.com/o/r.git'), 'tok')).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:tok').toString('base64')}`,
    });
  });

  it('lists the spellings to redact', () => {
    expect(tokenSpellings('tok')).toContain(Buffer.from('x-access-token:tok').toString('base64'));
  });
});
