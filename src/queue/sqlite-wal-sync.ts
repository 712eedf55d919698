import { open, type FileHandle } from 'node:fs/promises';

/**
 * Durability without blocking the event loop. With synchronous=FULL every commit fsyncs
 * the WAL inside better-sqlite3's synchronous call, so the whole process (webhook
 * acknowledgements included) stops for each fsync. Instead the database runs with
 * synchronous=NORMAL (commits write the WAL, unsynced; checkpoints and WAL resets sync
 * as usual) and each write's promise resolves only after an fdatasync of the WAL file
 * that started after its commit, run on libuv's thread pool. Writes that commit while one
 * fdatasync runs share the next one: a group commit.
 */
export class WalSync {
  private handle: FileHandle | undefined;
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly walPath: string) {}

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.next) return this.next;
    if (!this.current) return this.start();
    this.next = this.current.catch(() => undefined).then(() => this.start());
    return this.next;
  }

  async close(): Promise<void> {
    await this.current?.catch(() => undefined);
    await this.next?.catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }

  private start(): Promise<void> {
    this.next = undefined;
    const run = (async () => {
      // Opened at the first sync: by then a commit has created the WAL file.
      this.handle ??= await open(this.walPath, 'r');
      await this.handle.datasync();
    })();
    this.current = run;
    void run
      .finally(() => {
        if (this.current === run) this.current = undefined;
      })
      .catch(() => undefined);
    return run;
  }
}
