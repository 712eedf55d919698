import { Redis } from 'ioredis';
import type { JobCounts, StoreSignal } from './types.js';

/** Redis pieces of the BullMQ store that are not BullMQ's: a Lua script, pub/sub, mappings. */

/**
 * Supersede by key, atomically across processes: the key remembers the newest job (by
 * enqueue seq). A newer job takes the key and returns the one it replaced; an older one
 * (it lost a race with a newer push) is told so and returns the newer one's id.
 */
export const TAKE_SUPERSEDE_KEY = `
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
local current = redis.call('HGET', KEYS[1], 'id')
if tonumber(ARGV[2]) > seq then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'seq', ARGV[2])
  return {'newest', current or ''}
end
return {'older', current or ''}`;

/**
 * Listens on the store's signal channel (enqueued, superseded) from other processes, on a
 * connection of its own (a subscribed connection takes no other command); ioredis
 * resubscribes after a reconnect.
 */
export function subscribeSignals(
  url: string,
  channel: string,
  listener: (signal: StoreSignal) => void,
): { subscriber: Redis; stop: () => void } {
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  subscriber.on('error', () => undefined);
  void subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      listener(JSON.parse(text) as StoreSignal);
    } catch {
      // A malformed or failing signal is dropped; polling and heartbeats still catch up.
    }
  });
  return {
    subscriber,
    stop: () => void subscriber.quit().catch(() => undefined),
  };
}

/** BullMQ's job types to look in for each store status (a superseded or failed job may still sit in a wait list). */
export const TYPES_OF = {
  all: ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'],
  queued: ['waiting', 'delayed', 'prioritized'],
  running: ['active'],
  succeeded: ['completed'],
  failed: ['failed', 'waiting', 'delayed'],
  superseded: ['completed', 'waiting', 'delayed', 'prioritized'],
} as const;

/** BullMQ's refusal of a token that no longer holds the job's lock. */
export function isLockError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /lock|not in the active state|Missing key/i.test(message);
}

export const COUNTED_TYPES = [
  'waiting',
  'delayed',
  'prioritized',
  'active',
  'completed',
  'failed',
] as const;

/**
 * The store's counts from BullMQ's: a superseded job BullMQ moved to completed (so a claim
 * could skip it) is counted by Patchling's own counter, not as a success.
 */
export function countsOf(c: Readonly<Record<string, number>>, superseded: number): JobCounts {
  return {
    queued: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
    running: c.active ?? 0,
    succeeded: Math.max(0, (c.completed ?? 0) - superseded),
    failed: c.failed ?? 0,
    superseded,
  };
}
