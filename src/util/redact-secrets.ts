const MIN_SECRET_LENGTH = 8;

/**
 * Replaces known secret values (tokens, API keys) wherever they appear, also in their
 * JSON-escaped, URL-encoded, base64 (standard and URL-safe, at any offset in a longer
 * encoded stream) and hex spellings. Applied wherever text leaves the process: logs,
 * run logs, comments, PR bodies.
 */
export class SecretRedactor {
  private needles: readonly string[] = [];

  constructor(secrets: Iterable<string | undefined>) {
    this.add(...secrets);
  }

  /**
   * Learns more secrets, e.g. a token minted after the redactor was handed to a client:
   * everything redacted from now on hides them too.
   */
  add(...secrets: (string | undefined)[]): void {
    const spellings = new Set<string>(this.needles);
    for (const secret of secrets) {
      // Short values ("1", "true") would shred ordinary text and protect nothing.
      if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
      spellings.add(secret);
      spellings.add(JSON.stringify(secret).slice(1, -1));
      spellings.add(encodeURIComponent(secret));
      for (const spelling of encodedSpellings(secret)) spellings.add(spelling);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.needles = [...spellings].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let result = text;
    for (const needle of this.needles) {
      if (result.includes(needle)) result = result.split(needle).join('[REDACTED]');
    }
    return result;
  }

  /** true when the text holds any known secret. */
  contains(text: string): boolean {
    return this.needles.some((needle) => text.includes(needle));
  }
}

/**
 * base64 and hex spellings of a secret. A secret inside a longer encoded stream (a base64
 * `user:token` basic-auth header, a dumped config) starts at byte offset 0, 1 or 2 of a
 * 3-byte group, and each offset encodes it differently; so for each, the characters that
 * depend on the secret alone are kept, and those shared with neighbouring bytes dropped.
 */
function encodedSpellings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const spellings = [bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
  for (const shift of [0, 1, 2]) {
    const total = shift + bytes.length;
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    // The first characters carry the zero prefix's bits; the last one, when the length is
    // not a multiple of 3, carries bits of whatever follows.
    const start = [0, 2, 3][shift] ?? 0;
    const end = total % 3 === 0 ? encoded.length : encoded.length - 1;
    const core = encoded.slice(start, end);
    spellings.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return spellings;
}
