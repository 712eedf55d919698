const MIN_SECRET_LENGTH = 8;

/**
 * Replaces known secret values (tokens, API keys) wherever they appear, also in their
 * JSON-escaped and URL-encoded spellings. Applied wherever text leaves the process: logs,
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
