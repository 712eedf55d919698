/** What the scan timer keeps of one repository's config between ticks. */
export interface CachedScanConfig {
  /** The ETag of the contents API's answer, for If-None-Match. */
  readonly etag: string;
  /** `scan.schedule` (a cron expression), or undefined when the config has none. */
  readonly schedule: string | undefined;
}

/** Enough for every repository of a large App; the least recently read go first. */
export const DEFAULT_SCAN_CONFIG_CACHE_SIZE = 10_000;

/**
 * The scan timer's memory of each repository's `.github/patchling.yml`: its ETag and the
 * schedule parsed from it, so an unchanged config is a 304 (free of rate limit) and is not
 * parsed again. Bounded: past `maxEntries`, the least recently used entry is dropped. One
 * per timer, passed in; nothing module-wide.
 */
export class ScanConfigCache {
  private readonly entries = new Map<string, CachedScanConfig>();

  constructor(private readonly maxEntries: number = DEFAULT_SCAN_CONFIG_CACHE_SIZE) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedScanConfig | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      // Map keeps insertion order: re-inserting marks it as the most recently used.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: CachedScanConfig): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
