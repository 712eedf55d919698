import type { Database } from 'better-sqlite3';
import { QueueSchemaError } from './errors.js';

/**
 * The queue's schema, one migration per `user_version`. Never edit a shipped migration:
 * append one. `seq` (the rowid) orders the queue, so a clock going backwards cannot
 * reorder it; `id` is what the rest of Patchling sees.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     seq            INTEGER PRIMARY KEY,
     id             TEXT    NOT NULL UNIQUE,
     delivery_id    TEXT    NOT NULL UNIQUE,
     kind           TEXT    NOT NULL,
     supersede_key  TEXT,
     payload        TEXT    NOT NULL,
     status         TEXT    NOT NULL CHECK (status IN ('queued','running','succeeded','failed','superseded')),
     attempts       INTEGER NOT NULL DEFAULT 0,
     max_attempts   INTEGER NOT NULL CHECK (max_attempts >= 1),
     created_at     INTEGER NOT NULL,
     started_at     INTEGER,
     finished_at    INTEGER,
     deadline_at    INTEGER,
     heartbeat_at   INTEGER,
     superseded_by  TEXT,
     error          TEXT,
     result         TEXT,
     progress       TEXT
   ) STRICT;
   CREATE INDEX jobs_status_seq ON jobs (status, seq);
   CREATE INDEX jobs_supersede ON jobs (supersede_key, status) WHERE supersede_key IS NOT NULL;`,
  // 2: fairness groups (one per installation) and retry backoff.
  `ALTER TABLE jobs ADD COLUMN group_key TEXT;
   ALTER TABLE jobs ADD COLUMN available_at INTEGER;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * FULL: a commit is on disk when it returns. NORMAL (with WAL): it survives a crash of
 * the process, but the last commits can be lost if the machine loses power.
 */
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/**
 * Durability first: WAL with synchronous=FULL syncs the log on every commit, so a job is
 * on disk before enqueue returns (and before the webhook is acknowledged). busy_timeout
 * lets several connections (or processes) share the file: a writer waits for the lock
 * instead of failing.
 */
export function configureDatabase(
  db: Database,
  options: { busyTimeoutMs: number; synchronous?: SqliteSynchronous },
): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  db.pragma('foreign_keys = ON');
}

/** Brings the schema up to SCHEMA_VERSION, in one immediate transaction per open. */
export function migrate(db: Database): void {
  db.transaction(() => {
    const current = Number(db.pragma('user_version', { simple: true }));
    if (current > SCHEMA_VERSION) {
      throw new QueueSchemaError(
        `The queue database ${db.name} has schema version ${current}; this Patchling knows up to ${SCHEMA_VERSION}. Upgrade Patchling or point it at another file.`,
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version]!);
    }
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
