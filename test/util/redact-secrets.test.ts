import { describe, expect, it } from 'vitest';
import { SecretRedactor } from '../../src/util/redact-secrets.js';

const SECRET = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

describe('SecretRedactor', () => {
  const redactor = new SecretRedactor([SECRET]);

  it('catches the raw, JSON-escaped and URL-encoded spellings', () => {
    const odd = new SecretRedactor(['pa"ss/wo rd+1']);
    expect(odd.redact('x pa"ss/wo rd+1 y')).toBe('x [REDACTED] y');
    expect(odd.redact(JSON.stringify({ p: 'pa"ss/wo rd+1' }))).not.toContain('pa\\"ss');
    expect(odd.redact(`u=${encodeURIComponent('pa"ss/wo rd+1')}`)).toBe('u=[REDACTED]');
  });

  it('catches base64 of the secret at every offset inside a longer encoded text', () => {
    for (const prefix of ['', 'x', 'xy', 'x-access-token:', 'user:']) {
      for (const suffix of ['', '\n', 'ab', 'abc']) {
        const encoded = Buffer.from(`${prefix}${SECRET}${suffix}`).toString('base64');
        const shown = redactor.redact(`Authorization: Basic ${encoded}`);
        expect(shown).toContain('[REDACTED]');
        expect(redactor.contains(encoded)).toBe(true);
        // What is left cannot be decoded back into the secret.
        expect(Buffer.from(shown.replace(/.*Basic /, ''), 'base64').toString()).not.toContain(
          SECRET,
        );
      }
    }
  });

  it('catches URL-safe base64 and hex, either case', () => {
    const urlSafe = Buffer.from(`??${SECRET}>>`).toString('base64url');
    expect(redactor.contains(urlSafe)).toBe(true);
    expect(redactor.redact(`hex ${Buffer.from(SECRET).toString('hex')} end`)).toBe(
      'hex [REDACTED] end',
    );
    expect(redactor.contains(Buffer.from(SECRET).toString('hex').toUpperCase())).toBe(true);
  });

  it('leaves unrelated base64 and hex alone', () => {
    const other = Buffer.from('an ordinary value of some length').toString('base64');
    expect(redactor.redact(other)).toBe(other);
    expect(redactor.redact('deadbeef0123456789abcdef')).toBe('deadbeef0123456789abcdef');
  });
});
