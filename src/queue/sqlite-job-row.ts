import { QueueSchemaError } from './errors.js';
import type { JobStatus, StoredJob } from './types.js';

/** One row of the `jobs` table, as better-sqlite3 returns it. */
export interface JobRow {
  readonly seq: number;
  readonly id: string;
  readonly delivery_id: string;
  readonly kind: string;
  readonly supersede_key: string | null;
  readonly payload: string;
  readonly status: string;
  readonly attempts: number;
  readonly max_attempts: number;
  readonly created_at: number;
  readonly started_at: number | null;
  readonly finished_at: number | null;
  readonly deadline_at: number | null;
  readonly heartbeat_at: number | null;
  readonly superseded_by: string | null;
  readonly error: string | null;
  readonly result: string | null;
  readonly progress: string | null;
  readonly group_key: string | null;
  readonly available_at: number | null;
}

const STATUSES: ReadonlySet<string> = new Set<JobStatus>([
  'queued',
  'running',
  'succeeded',
  'failed',
  'superseded',
]);

/**
 * The payload was written by the store's own producer from a typed value, so it is
 * trusted as `P` once it parses; the CHECK constraint guards the status.
 */
export function rowToJob<P>(row: JobRow): StoredJob<P> {
  if (!STATUSES.has(row.status)) {
    throw new QueueSchemaError(
      `Job ${row.id} has an unknown status ${JSON.stringify(row.status)}.`,
    );
  }
  const payload = parseJson(row.payload, row.id, 'payload') as P;
  const progress = row.progress === null ? undefined : parseJson(row.progress, row.id, 'progress');
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    kind: row.kind,
    payload,
    status: row.status as JobStatus,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at,
    ...optional('supersedeKey', row.supersede_key),
    ...optional('group', row.group_key),
    ...optional('availableAt', row.available_at),
    ...optional('startedAt', row.started_at),
    ...optional('finishedAt', row.finished_at),
    ...optional('deadlineAt', row.deadline_at),
    ...optional('heartbeatAt', row.heartbeat_at),
    ...optional('supersededBy', row.superseded_by),
    ...optional('error', row.error),
    ...(row.result === null ? {} : { result: parseJson(row.result, row.id, 'result') }),
    ...(isRecord(progress) ? { progress } : {}),
  };
}

/**
 * JSON text for a column, or null for undefined (JSON has no undefined). A handler's
 * result is a courtesy for whoever reads the row later: one that cannot be serialized
 * (a cycle, a BigInt) is dropped rather than leaving the job stuck in 'running'.
 */
export function toJsonColumn(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

function optional<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

function parseJson(text: string, id: string, column: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new QueueSchemaError(`Job ${id} has a ${column} that is not JSON.`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
