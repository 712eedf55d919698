import { describe, expect, it } from 'vitest';
import { SystemError, UserError } from '../../../src/errors.js';
import { assertGitDebugOff } from '../../../src/workspace/git/assert-git-debug-off.js';
import {
  assertFullSha,
  assertRefName,
  toBranchName,
} from '../../../src/workspace/git/check-ref-name.js';
import { parseRemoteUrl } from '../../../src/workspace/git/parse-remote-url.js';

describe('ref names', () => {
  it.each([['main'], ['feature/x'], ['refs/pull/7/head'], ['v1.2'], ['HEAD']])(
    'accepts %j',
    (name) => {
      expect(assertRefName(name, 'ref')).toBe(name);
    },
  );

  it.each([
    ['-x'],
    ['--upload-pack=evil'],
    ['a..b'],
    ['a b'],
    ['a:b'],
    ['a~1'],
    ['a^'],
    ['.hidden'],
    ['x/.y'],
    ['x.lock'],
    ['x/'],
    ['@'],
    ['a@{1}'],
    ['tab\tname'],
    [''],
  ])('refuses %j', (name) => {
    expect(() => assertRefName(name, 'ref')).toThrow(UserError);
  });

  it('strips refs/heads/ from branches and refuses other namespaces', () => {
    expect(toBranchName('refs/heads/main', 'b')).toBe('main');
    expect(() => toBranchName('refs/tags/v1', 'b')).toThrow(/must be a branch/);
  });

  it('takes only full SHAs', () => {
    expect(assertFullSha('a'.repeat(40), 'sha')).toBe('a'.repeat(40));
    expect(() => assertFullSha('abc1234', 'sha')).toThrow(UserError);
  });
});

describe('parseRemoteUrl', () => {
  it('accepts http(s) URLs', () => {
    expect(parseRemoteUrl('https://github.com/o/r.git').origin).toBe('https://github.com');
  });

  it.each([
    ['https://x-access-token:ghs_secret123456@github.com/o/r.git', /holds credentials/],
    ['https://user@github.com/o/r.git', /holds credentials/],
    ['git@github.com:o/r.git', /Not a valid remote URL|must use https/],
    ['file:///srv/r.git', /must use https/],
    ['https://github.com/o/r.git?x=1', /query/],
    ['not a url', /Not a valid/],
  ])('refuses %j', (url, message) => {
    expect(() => parseRemoteUrl(url)).toThrow(message);
    try {
      parseRemoteUrl(url);
    } catch (error) {
      expect(String(error)).not.toContain('ghs_secret123456');
    }
  });
});

describe('assertGitDebugOff: the per-task loggers that print the auth header', () => {
  it.each([
    'simple-git:task:*',
    'simple-git:task:fetch:*',
    'simple-git:output:*,simple-git:task:push:1',
    '*',
  ])('refuses DEBUG=%s', (value) => {
    expect(() => assertGitDebugOff(value)).toThrow(/prints the git credentials/);
  });
});

describe('assertGitDebugOff', () => {
  it.each([
    [undefined],
    [''],
    ['express:*'],
    ['patchling,other'],
    ['*,-simple-git*'],
    ['-simple-git:*,*'],
  ])('allows DEBUG=%j', (value) => {
    expect(() => assertGitDebugOff(value)).not.toThrow();
  });

  it.each([['*'], ['simple-git*'], ['simple-git:*'], ['foo, simple-git:raw']])(
    'refuses DEBUG=%j, which would log the auth header',
    (value) => {
      expect(() => assertGitDebugOff(value)).toThrow(SystemError);
    },
  );
});
