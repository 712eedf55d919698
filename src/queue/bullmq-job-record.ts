import type { Job as BullJob } from 'bullmq';
import type { JobStatus, StoredJob } from './types.js';

/** What Patchling keeps in a BullMQ job's data: the producer's plain data and the payload. */
export interface BullJobData<P> {
  readonly kind: string;
  readonly supersedeKey?: string;
  readonly group?: string;
  readonly payload: P;
  readonly maxAttempts: number;
  /** The enqueue's own random id: a redelivery that found the job already there carries another. */
  readonly nonce: string;
  /**
   * Enqueue order across processes (INCR): "older" for supersede means a smaller seq.
   * Only jobs with a supersede key have one.
   */
  readonly seq?: number;
}

/**
 * Patchling's state beside BullMQ's, one hash per job: what BullMQ has no field for
 * (supersede marks, the progress record, shutdown releases that must not count as
 * attempts, failures the store recorded for jobs it held no lock on).
 */
export interface JobMeta {
  readonly final?: 'failed' | 'superseded';
  readonly error?: string;
  readonly progress?: string;
  readonly supersededBy?: string;
  readonly releases?: string;
  readonly heartbeatAt?: string;
  readonly deadlineAt?: string;
  readonly availableAt?: string;
}

const QUEUED_STATES = new Set(['waiting', 'wait', 'delayed', 'prioritized', 'waiting-children']);

/** BullMQ's state and Patchling's meta → the store's status. */
export function statusOf(state: string, meta: JobMeta): JobStatus {
  if (meta.final) return meta.final;
  if (state === 'active') return 'running';
  if (state === 'completed') return 'succeeded';
  if (state === 'failed') return 'failed';
  if (QUEUED_STATES.has(state)) return 'queued';
  // 'unknown': removed under us; report it as failed rather than pretend it is queued.
  return 'failed';
}

/** The attempts that count: claims, less the shutdown releases. */
export function attemptsOf(job: BullJob, meta: JobMeta): number {
  return Math.max(0, (job.attemptsStarted ?? 0) - Number(meta.releases ?? 0));
}

export function toStoredJob<P>(
  job: BullJob<BullJobData<P>>,
  state: string,
  meta: JobMeta,
): StoredJob<P> {
  const status = statusOf(state, meta);
  const data = job.data;
  const progress = meta.progress === undefined ? undefined : parseRecord(meta.progress);
  const error =
    meta.error ?? (status === 'failed' && job.failedReason ? job.failedReason : undefined);
  const finishedAt = job.finishedOn;
  const heartbeatAt = meta.heartbeatAt === undefined ? undefined : Number(meta.heartbeatAt);
  const deadlineAt = meta.deadlineAt === undefined ? undefined : Number(meta.deadlineAt);
  const availableAt =
    status === 'queued' && meta.availableAt ? Number(meta.availableAt) : undefined;
  return {
    id: job.id ?? '',
    deliveryId: deliveryIdOf(job.id ?? ''),
    kind: data.kind,
    payload: data.payload,
    status,
    attempts: attemptsOf(job, meta),
    maxAttempts: data.maxAttempts,
    createdAt: job.timestamp,
    ...(data.supersedeKey === undefined ? {} : { supersedeKey: data.supersedeKey }),
    ...(data.group === undefined ? {} : { group: data.group }),
    ...(status === 'running' && job.processedOn ? { startedAt: job.processedOn } : {}),
    ...(status !== 'queued' && status !== 'running' && finishedAt ? { finishedAt } : {}),
    ...(status === 'running' && heartbeatAt ? { heartbeatAt } : {}),
    ...(status === 'running' && deadlineAt ? { deadlineAt } : {}),
    ...(availableAt ? { availableAt } : {}),
    ...(meta.supersededBy === undefined ? {} : { supersededBy: meta.supersededBy }),
    ...(error === undefined ? {} : { error }),
    ...(status === 'succeeded' && job.returnvalue !== undefined && job.returnvalue !== null
      ? { result: job.returnvalue }
      : {}),
    ...(progress ? { progress } : {}),
  };
}

/**
 * BullMQ job ids may not be integers nor contain ':' ; a delivery id is any string (a
 * GitHub UUID, or a scheduler's `scan:owner/repo:2026-12` key), so it is encoded.
 */
export function jobIdOf(deliveryId: string): string {
  return `d-${encodeURIComponent(deliveryId)}`;
}

export function deliveryIdOf(jobId: string): string {
  return jobId.startsWith('d-') ? decodeURIComponent(jobId.slice(2)) : jobId;
}

function parseRecord(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
