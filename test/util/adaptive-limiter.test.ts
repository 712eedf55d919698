import { describe, expect, it } from 'vitest';
import { createAdaptiveLimiter } from '../../src/util/adaptive-limiter.js';

/** A task that runs until the test ends it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createAdaptiveLimiter', () => {
  it('runs at most max tasks at once, starting them in order', async () => {
    const limiter = createAdaptiveLimiter({ max: 2 });
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const all = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open();
    gates[2]?.open();
    expect(await Promise.all(all)).toEqual([0, 1, 2]);
    expect(limiter.peak).toBe(2);
  });

  it('halves the bound on a rate limit and climbs back one by one once the provider is calm', async () => {
    let now = 0;
    const limits: number[] = [];
    const limiter = createAdaptiveLimiter({
      max: 4,
      calmMs: 1_000,
      now: () => now,
      onLimit: (limit) => limits.push(limit),
    });
    limiter.rateLimited(500);
    expect(limiter.limit).toBe(2);
    limiter.rateLimited(500);
    expect(limiter.limit).toBe(1);
    limiter.rateLimited(500);
    expect(limiter.limit).toBe(1); // never below one

    // Still busy (the wait and the calm period): a finished task does not raise it.
    await limiter.run(async () => undefined);
    expect(limiter.limit).toBe(1);

    now = 1_500;
    await limiter.run(async () => undefined);
    await limiter.run(async () => undefined);
    await limiter.run(async () => undefined);
    await limiter.run(async () => undefined);
    expect(limiter.limit).toBe(4);
    expect(limits).toEqual([2, 1, 2, 3, 4]);
  });

  it('does not start waiting tasks while the bound is lowered', async () => {
    const limiter = createAdaptiveLimiter({ max: 4, now: () => 0 });
    const gates = [gate(), gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const all = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.opened;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    limiter.rateLimited(100); // 4 → 2, with four still running
    gates[0]?.open();
    gates[1]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]); // two running: at the bound
    gates[2]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]?.open();
    gates[4]?.open();
    await Promise.all(all);
  });

  it('frees the slot of a task that throws', async () => {
    const limiter = createAdaptiveLimiter({ max: 1 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });
});
