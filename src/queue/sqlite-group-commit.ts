import type { Database } from 'better-sqlite3';

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: writes asked for in the same turn of the event loop run in one
 * transaction, so one fsync (synchronous=FULL) covers them all. better-sqlite3 is
 * synchronous, so every commit blocks the event loop for the length of its fsync: 300
 * webhooks arriving at once used to pay 300 fsyncs in a row, and the last one waited for
 * all of them. Each write still resolves only after the commit that holds it, so
 * "stored before acknowledged" holds. Each runs in its own savepoint: one that throws is
 * rolled back alone and rejects alone.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Database) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (!this.db.open) {
      for (const item of batch) item.reject(new Error('the queue database is closed'));
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, value: this.db.transaction(item.work)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // The commit itself failed (the disk, a lock held past busy_timeout): nothing is stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
