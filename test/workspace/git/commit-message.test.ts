import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { checkIdentity, formatCommitMessage } from '../../../src/workspace/git/commit-message.js';

const BOT = { name: 'patchling[bot]', email: 'bot@example.com' };

describe('formatCommitMessage', () => {
  it('adds one Co-authored-by trailer per co-author, after a blank line', () => {
    expect(
      formatCommitMessage('Fix sum\n', BOT, [
        { name: 'Ada', email: 'ada@example.com' },
        { name: 'Bob', email: 'bob@example.com' },
      ]),
    ).toBe(
      'Fix sum\n\nCo-authored-by: Ada <ada@example.com>\nCo-authored-by: Bob <bob@example.com>\n',
    );
  });

  it('skips duplicates (by email, any case), the author, and trailers already there', () => {
    expect(
      formatCommitMessage('Fix\n\nCo-authored-by: Ada <ada@example.com>', BOT, [
        { name: 'Ada', email: 'ada@example.com' },
        { name: 'Bob', email: 'BOB@example.com' },
        { name: 'Bob again', email: 'bob@example.com' },
        { name: 'Bot', email: 'BOT@example.com' },
      ]),
    ).toBe('Fix\n\nCo-authored-by: Ada <ada@example.com>\nCo-authored-by: Bob <BOB@example.com>\n');
  });

  it('leaves the message alone without co-authors', () => {
    expect(formatCommitMessage('Fix\n\n\n', BOT, [])).toBe('Fix\n');
  });

  it('keeps a hostile name from forging trailers or lines', () => {
    const message = formatCommitMessage('Fix', BOT, [
      { name: 'Eve\nSigned-off-by: Linus <torvalds@example.com>', email: 'eve@example.com' },
      { name: 'Mallory <x@y>', email: 'mallory@example.com' },
    ]);
    expect(message.split('\n')).toEqual([
      'Fix',
      '',
      'Co-authored-by: Eve Signed-off-by: Linus torvalds@example.com <eve@example.com>',
      'Co-authored-by: Mallory x@y <mallory@example.com>',
      '',
    ]);
  });

  it('refuses an empty message and a malformed email', () => {
    expect(() => formatCommitMessage('  \n', BOT, [])).toThrow(UserError);
    expect(() => checkIdentity({ name: 'A', email: 'a@b>\nx' }, 'co-author')).toThrow(
      /not an address/,
    );
    expect(() => checkIdentity({ name: '\n', email: 'a@b' }, 'co-author')).toThrow(/needs a name/);
  });
});
