import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/images/with-deadline.js';

describe('withDeadline', () => {
  it('passes the result through when the work is in time', async () => {
    const deadline = withDeadline(
      async () => 7,
      1_000,
      () => new Error('late'),
    );
    await expect(deadline.result).resolves.toBe(7);
    await expect(deadline.settled).resolves.toBeUndefined();
  });

  it('turns a synchronous throw into a rejection', async () => {
    const deadline = withDeadline(
      () => {
        throw new Error('boom');
      },
      1_000,
      () => new Error('late'),
    );
    await expect(deadline.result).rejects.toThrow('boom');
    await expect(deadline.settled).resolves.toBeUndefined();
  });

  it('rejects at the deadline while settled waits for the work', async () => {
    let finish: () => void = () => {};
    const work = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let settled = false;
    const deadline = withDeadline(
      () => work,
      10,
      () => new Error('late'),
    );
    void deadline.settled.then(() => {
      settled = true;
    });
    await expect(deadline.result).rejects.toThrow('late');
    expect(settled).toBe(false);
    finish();
    await deadline.settled;
    expect(settled).toBe(true);
  });
});
