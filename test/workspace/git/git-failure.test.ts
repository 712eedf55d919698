import { GitError, GitPluginError } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { SystemError, UserError } from '../../../src/errors.js';
import { SecretRedactor } from '../../../src/util/redact-secrets.js';
import { toGitFailure } from '../../../src/workspace/git/git-failure.js';

const TOKEN = 'ghs_classifyToken0123456789';
const redactor = new SecretRedactor([TOKEN]);

describe('toGitFailure', () => {
  it.each([
    [
      "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
      UserError,
      /refused the credentials/,
      false,
    ],
    [
      "remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/o/r.git/'",
      UserError,
      /refused the credentials/,
      false,
    ],
    ["fatal: repository 'https://github.com/o/nope.git/' not found", UserError, /not found/, false],
    ["fatal: couldn't find remote ref refs/pull/9/head", UserError, /not found/, false],
    [
      ' ! [rejected]        HEAD -> main (fetch first)\nerror: failed to push some refs',
      UserError,
      /rejected/,
      false,
    ],
    [
      "fatal: unable to access 'https://github.com/o/r.git/': Could not resolve host: github.com",
      SystemError,
      /could not be reached/,
      true,
    ],
    [
      'error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502',
      SystemError,
      /could not be reached/,
      true,
    ],
    [
      'fatal: something unexpected',
      SystemError,
      /failed\. git said: fatal: something unexpected/,
      false,
    ],
  ] as const)('classifies %j', (message, type, text, retryable) => {
    const failure = toGitFailure(new GitError(undefined, message), 'Fetching', redactor);
    expect(failure).toBeInstanceOf(type);
    expect(failure.message).toMatch(text);
    expect(failure.retryable).toBe(retryable);
  });

  it('redacts the token from the message and the cause', () => {
    const encoded = Buffer.from(TOKEN).toString('base64');
    const failure = toGitFailure(
      new GitError(undefined, `fatal: bad header Authorization: token ${TOKEN}`),
      'Fetching',
      new SecretRedactor([TOKEN, encoded]),
    );
    expect(failure.message).toContain('[REDACTED]');
    expect(failure.message).not.toContain(TOKEN);
    expect(String(failure.cause)).not.toContain(TOKEN);
  });

  it('reports cancellation and stalls', () => {
    const aborted = toGitFailure(
      new GitPluginError(undefined, 'abort', 'Abort signal received'),
      'Fetching',
      redactor,
    );
    expect(aborted.message).toBe('Fetching was cancelled.');
    const stalled = toGitFailure(
      new GitPluginError(undefined, 'timeout', 'block timeout reached'),
      'Fetching',
      redactor,
    );
    expect(stalled.retryable).toBe(true);
  });

  it('drops progress lines and hints from git output', () => {
    const failure = toGitFailure(
      new GitError(
        undefined,
        'remote: Enumerating objects: 5, done.\nremote: Counting objects: 100% (3/3)\rReceiving objects:  50% (1/2)\rUpdating files: 100% (2/2), done.\nremote: Total 3 (delta 0), reused 0\nhint: try this\nfatal: the real problem\n',
      ),
      'Fetching',
      redactor,
    );
    expect(failure.message).toBe('Fetching failed. git said: fatal: the real problem');
  });
});
