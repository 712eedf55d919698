import { describe, expect, it } from 'vitest';
import { fitGitHubText } from '../../src/github/limits.js';
import { createProgressReporter, type ProgressSink } from '../../src/github/progress-reporter.js';
import type { ProgressState } from '../../src/github/progress-state.js';
import { cutBeforePartialWord, oneSentence } from '../../src/github/progress-state.js';
import { SecretRedactor } from '../../src/util/redact-secrets.js';

const SECRET = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

describe('shortening text never leaves half a secret behind', () => {
  it('cuts before a word that would be split, not inside it', () => {
    expect(cutBeforePartialWord('alpha beta gamma', 8)).toBe('alpha');
    expect(cutBeforePartialWord('alpha beta gamma', 10)).toBe('alpha beta');
    expect(cutBeforePartialWord('unbroken', 4)).toBe('');
  });

  it('oneSentence and fitGitHubText drop a secret cut at their limit', () => {
    const reason = `${'word '.repeat(55)}${SECRET} and more`;
    expect(oneSentence(reason)).not.toMatch(/sk-proj-A/);
    const body = `${'x '.repeat(40)}${SECRET}`;
    expect(fitGitHubText(body, 100)).not.toMatch(/sk-proj/);
  });

  it('redacts a failure reason before it is shortened, also a multi-line key', async () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCdEf\n-----END RSA PRIVATE KEY-----\n';
    const written: ProgressState[] = [];
    const sink: ProgressSink = {
      create: async (state) => (written.push(state), 1),
      update: async (_id, state) => void written.push(state),
      load: async () => undefined,
    };
    const redactor = new SecretRedactor([SECRET, pem]);
    const reporter = createProgressReporter(sink, { redact: (text) => redactor.redact(text) });
    await reporter.start();
    await reporter.failed(`${'word '.repeat(50)}${SECRET} then the key ${pem}`);
    const final = JSON.stringify(written.at(-1));
    expect(final).not.toMatch(/sk-proj/);
    expect(final).toMatch(/\[REDACTED\]/);
    expect(final).not.toMatch(/MIIEow/);
  });
});
