import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { GroupCommit } from './sqlite-group-commit.js';
import { WalSync } from './sqlite-wal-sync.js';
import { rowToJob, toJsonColumn, type JobRow } from './sqlite-job-row.js';
import { configureDatabase, migrate } from './sqlite-schema.js';
import {
  DEFAULT_MAX_ATTEMPTS,
  defaultQueuePath,
  type SqliteJobStoreOptions,
} from './sqlite-store-options.js';
import type {
  ClaimGuard,
  ClaimOptions,
  EnqueueInput,
  EnqueueResult,
  HeartbeatResult,
  JobCounts,
  JobStatus,
  JobStore,
  ListOptions,
  RecoverOptions,
  RecoveryResult,
  StoredJob,
} from './types.js';

export { DEFAULT_MAX_ATTEMPTS, defaultQueuePath, type SqliteJobStoreOptions };

type Guarded = { id: string; now: number; attempt: number | null };

/**
 * The embedded JobStore: one SQLite file, no server. better-sqlite3 is synchronous, so
 * each method does its work before returning a settled Promise; every write runs in a
 * BEGIN IMMEDIATE transaction, which takes the write lock first (waiting up to
 * busyTimeoutMs), so two connections on one file never claim the same job.
 */
export class SqliteJobStore<P = unknown> implements JobStore<P> {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly defaultMaxAttempts: number;
  private readonly sql: ReturnType<typeof prepareStatements>;
  /** The frequent writes (enqueue, heartbeat, progress) share commits: see sqlite-group-commit.ts. */
  private readonly commits: GroupCommit;
  /** Present in FULL_OFF_THREAD: every write waits for it before it resolves. */
  private readonly walSync: WalSync | undefined;

  private constructor(
    db: Database.Database,
    options: SqliteJobStoreOptions,
    walSync: WalSync | undefined,
  ) {
    this.walSync = walSync;
    this.db = db;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.sql = prepareStatements(db);
    this.commits = new GroupCommit(db);
  }

  static open<P = unknown>(options: SqliteJobStoreOptions): SqliteJobStore<P> {
    mkdirSync(path.dirname(options.path), { recursive: true, mode: 0o700 });
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const db = new Database(options.path, { timeout: busyTimeoutMs });
    try {
      const mode = options.synchronous ?? 'FULL_OFF_THREAD';
      const offThread = mode === 'FULL_OFF_THREAD';
      configureDatabase(db, { busyTimeoutMs, synchronous: offThread ? 'NORMAL' : mode });
      migrate(db);
      if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
      const walSync = offThread ? new WalSync(`${options.path}-wal`) : undefined;
      return new SqliteJobStore<P>(db, options, walSync);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async enqueue(input: EnqueueInput<P>): Promise<EnqueueResult<P>> {
    return this.durable((): EnqueueResult<P> => {
      const existing = this.sql.byDelivery.get(input.deliveryId);
      if (existing) {
        return {
          job: rowToJob<P>(existing),
          duplicate: true,
          superseded: [],
          supersededRunning: [],
        };
      }
      const now = this.now();
      const key = input.supersedeKey ?? null;
      const inserted = this.sql.insert.get({
        id: this.newId(),
        deliveryId: input.deliveryId,
        kind: input.kind,
        key,
        group: input.group ?? null,
        payload: JSON.stringify(input.payload),
        maxAttempts: Math.max(1, Math.floor(input.maxAttempts ?? this.defaultMaxAttempts)),
        now,
      })!;
      if (key === null) {
        return {
          job: rowToJob<P>(inserted),
          duplicate: false,
          superseded: [],
          supersededRunning: [],
        };
      }
      const by = { key, seq: inserted.seq, newId: inserted.id, now };
      return {
        job: rowToJob<P>(inserted),
        duplicate: false,
        superseded: this.sql.supersedeQueued.all(by).map((r) => r.id),
        supersededRunning: this.sql.markRunningSuperseded.all(by).map((r) => r.id),
      };
    });
  }

  async claimNext(options: ClaimOptions = {}): Promise<StoredJob<P> | undefined> {
    const now = this.now();
    const deadline = options.deadlineMs === undefined ? null : now + options.deadlineMs;
    const excluded = JSON.stringify(options.excludeGroups ?? []);
    const row = this.db
      .transaction(() => this.sql.claim.get({ now, deadline, excluded }))
      .immediate();
    if (row) await this.walSync?.sync();
    return row ? rowToJob<P>(row) : undefined;
  }

  async complete(id: string, options: ClaimGuard & { result?: unknown } = {}): Promise<boolean> {
    return this.write(this.sql.complete, {
      ...this.guard(id, options),
      result: toJsonColumn(options.result),
    });
  }

  async fail(id: string, error: string, options: ClaimGuard = {}): Promise<boolean> {
    return this.write(this.sql.fail, { ...this.guard(id, options), error });
  }

  async retry(
    id: string,
    error: string,
    options: ClaimGuard & { readonly delayMs: number },
  ): Promise<boolean> {
    const guard = this.guard(id, options);
    return this.write(this.sql.retry, {
      ...guard,
      error,
      availableAt: guard.now + Math.max(0, options.delayMs),
    });
  }

  async supersede(id: string, options: ClaimGuard = {}): Promise<boolean> {
    return this.write(this.sql.supersede, this.guard(id, options));
  }

  async release(id: string, options: ClaimGuard = {}): Promise<boolean> {
    return this.write(this.sql.release, this.guard(id, options));
  }

  async heartbeat(id: string, options: ClaimGuard = {}): Promise<HeartbeatResult> {
    const guard = this.guard(id, options);
    return this.durable((): HeartbeatResult => {
      const row = this.sql.heartbeat.get(guard);
      if (row) return row.superseded_by === null ? 'running' : 'superseded';
      const current = this.sql.byId.get(id);
      return current?.status === 'superseded' ? 'superseded' : 'lost';
    });
  }

  async setProgress(id: string, progress: Readonly<Record<string, unknown>>): Promise<boolean> {
    const params = { id, progress: JSON.stringify(progress) };
    return this.durable(() => this.sql.setProgress.run(params).changes === 1);
  }

  async get(id: string): Promise<StoredJob<P> | undefined> {
    const row = this.sql.byId.get(id);
    return row ? rowToJob<P>(row) : undefined;
  }

  async getByDelivery(deliveryId: string): Promise<StoredJob<P> | undefined> {
    const row = this.sql.byDelivery.get(deliveryId);
    return row ? rowToJob<P>(row) : undefined;
  }

  async list(options: ListOptions = {}): Promise<StoredJob<P>[]> {
    return this.sql.list
      .all({ status: options.status ?? null, limit: options.limit ?? 100 })
      .map((row) => rowToJob<P>(row));
  }

  async counts(): Promise<JobCounts> {
    const counts: Record<JobStatus, number> = {
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      superseded: 0,
    };
    for (const { status, n } of this.sql.counts.all()) counts[status as JobStatus] = n;
    return counts;
  }

  async ping(): Promise<void> {
    this.sql.ping.get();
  }

  async isSuperseded(id: string): Promise<boolean> {
    const row = this.sql.byId.get(id);
    return row !== undefined && (row.status === 'superseded' || row.superseded_by !== null);
  }

  async recoverInterrupted(options: RecoverOptions = {}): Promise<RecoveryResult<P>> {
    const now = this.now();
    const staleAfterMs = options.staleAfterMs ?? 0;
    const staleBefore = staleAfterMs > 0 ? now - staleAfterMs : null;
    const recovered = this.db
      .transaction((): RecoveryResult<P> => {
        const params = { now, staleBefore };
        const jobs = (rows: JobRow[]) => rows.map((row) => rowToJob<P>(row));
        return {
          superseded: jobs(this.sql.recoverSuperseded.all(params)),
          failed: jobs(this.sql.recoverFailed.all(params)),
          requeued: jobs(this.sql.recoverRequeued.all(params)),
        };
      })
      .immediate();
    await this.walSync?.sync();
    return recovered;
  }

  async close(): Promise<void> {
    await this.walSync?.close();
    if (this.db.open) this.db.close();
  }

  /** A write in the next group commit, resolved once it is on disk. */
  private async durable<T>(work: () => T): Promise<T> {
    const value = await this.commits.run(work);
    await this.walSync?.sync();
    return value;
  }

  private guard(id: string, options: ClaimGuard): Guarded {
    return { id, now: this.now(), attempt: options.attempt ?? null };
  }

  private async write<Q extends object>(
    statement: Statement<[Q], unknown>,
    params: Q,
  ): Promise<boolean> {
    const changed = this.db.transaction(() => statement.run(params).changes === 1).immediate();
    if (changed) await this.walSync?.sync();
    return changed;
  }
}

/** The claim guard: this job, running, and (when given) under this attempt. */
const RUNNING_ATTEMPT = `id = @id AND status = 'running' AND (@attempt IS NULL OR attempts = @attempt)`;
/**
 * For fail and supersede: without an attempt, any job not yet finished; with one, only
 * that claim (a stale worker must not end a job that was requeued under it).
 */
const ACTIVE_OR_ATTEMPT = `id = @id AND CASE WHEN @attempt IS NULL
  THEN status IN ('queued', 'running')
  ELSE status = 'running' AND attempts = @attempt END`;
/** Running jobs whose worker counts as gone. */
const INTERRUPTED = `status = 'running' AND (@staleBefore IS NULL OR COALESCE(heartbeat_at, started_at, 0) < @staleBefore)`;

function prepareStatements(db: Database.Database) {
  return {
    byId: db.prepare<[string], JobRow>(`SELECT * FROM jobs WHERE id = ?`),
    byDelivery: db.prepare<[string], JobRow>(`SELECT * FROM jobs WHERE delivery_id = ?`),
    counts: db.prepare<[], { status: string; n: number }>(
      `SELECT status, COUNT(*) AS n FROM jobs GROUP BY status`,
    ),
    ping: db.prepare<[], { one: number }>(`SELECT 1 AS one`),
    list: db.prepare<[{ status: string | null; limit: number }], JobRow>(
      `SELECT * FROM jobs WHERE (@status IS NULL OR status = @status) ORDER BY seq LIMIT @limit`,
    ),
    insert: db.prepare<
      [
        {
          id: string;
          deliveryId: string;
          kind: string;
          key: string | null;
          group: string | null;
          payload: string;
          maxAttempts: number;
          now: number;
        },
      ],
      JobRow
    >(
      `INSERT INTO jobs (id, delivery_id, kind, supersede_key, group_key, payload, status, attempts, max_attempts, created_at)
       VALUES (@id, @deliveryId, @kind, @key, @group, @payload, 'queued', 0, @maxAttempts, @now)
       RETURNING *`,
    ),
    supersedeQueued: db.prepare<[{ key: string; seq: number; newId: string; now: number }], JobRow>(
      `UPDATE jobs SET status = 'superseded', superseded_by = @newId, finished_at = @now
       WHERE supersede_key = @key AND status = 'queued' AND seq < @seq
       RETURNING *`,
    ),
    markRunningSuperseded: db.prepare<
      [{ key: string; seq: number; newId: string; now: number }],
      JobRow
    >(
      `UPDATE jobs SET superseded_by = @newId
       WHERE supersede_key = @key AND status = 'running' AND seq < @seq
       RETURNING *`,
    ),
    // The oldest queued job that is due and whose group is not at its limit (a JSON array).
    claim: db.prepare<[{ now: number; deadline: number | null; excluded: string }], JobRow>(
      `UPDATE jobs
       SET status = 'running', attempts = attempts + 1, started_at = @now, heartbeat_at = @now,
           deadline_at = @deadline, finished_at = NULL, available_at = NULL
       WHERE seq = (SELECT seq FROM jobs WHERE status = 'queued'
                      AND (available_at IS NULL OR available_at <= @now)
                      AND (group_key IS NULL OR group_key NOT IN (SELECT value FROM json_each(@excluded)))
                    ORDER BY seq LIMIT 1)
       RETURNING *`,
    ),
    retry: db.prepare<[Guarded & { error: string; availableAt: number }]>(
      `UPDATE jobs
       SET status = 'queued', error = @error, available_at = @availableAt, started_at = NULL,
           deadline_at = NULL, heartbeat_at = NULL
       WHERE ${RUNNING_ATTEMPT} AND superseded_by IS NULL`,
    ),
    complete: db.prepare<[Guarded & { result: string | null }]>(
      `UPDATE jobs SET status = 'succeeded', finished_at = @now, result = @result
       WHERE ${RUNNING_ATTEMPT}`,
    ),
    fail: db.prepare<[Guarded & { error: string }]>(
      `UPDATE jobs SET status = 'failed', finished_at = @now, error = @error
       WHERE ${ACTIVE_OR_ATTEMPT}`,
    ),
    supersede: db.prepare<[Guarded]>(
      `UPDATE jobs SET status = 'superseded', finished_at = @now
       WHERE ${ACTIVE_OR_ATTEMPT}`,
    ),
    release: db.prepare<[Guarded]>(
      `UPDATE jobs
       SET status = 'queued', attempts = attempts - 1, started_at = NULL, deadline_at = NULL,
           heartbeat_at = NULL
       WHERE ${RUNNING_ATTEMPT}`,
    ),
    heartbeat: db.prepare<[Guarded], JobRow>(
      `UPDATE jobs SET heartbeat_at = @now WHERE ${RUNNING_ATTEMPT} RETURNING *`,
    ),
    setProgress: db.prepare<[{ id: string; progress: string }]>(
      `UPDATE jobs SET progress = @progress WHERE id = @id`,
    ),
    recoverSuperseded: db.prepare<[{ now: number; staleBefore: number | null }], JobRow>(
      `UPDATE jobs SET status = 'superseded', finished_at = @now
       WHERE ${INTERRUPTED} AND superseded_by IS NOT NULL
       RETURNING *`,
    ),
    recoverFailed: db.prepare<[{ now: number; staleBefore: number | null }], JobRow>(
      `UPDATE jobs
       SET status = 'failed', finished_at = @now,
           error = 'interrupted ' || attempts || ' times: the process running it stopped before it finished'
       WHERE ${INTERRUPTED} AND attempts >= max_attempts
       RETURNING *`,
    ),
    recoverRequeued: db.prepare<[{ now: number; staleBefore: number | null }], JobRow>(
      `UPDATE jobs
       SET status = 'queued', started_at = NULL, deadline_at = NULL, heartbeat_at = NULL
       WHERE ${INTERRUPTED}
       RETURNING *`,
    ),
  };
}
