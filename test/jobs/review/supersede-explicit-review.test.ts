import { describe, expect, it } from 'vitest';
import { jobEnqueueInput } from '../../../src/jobs/job-enqueue-input.js';
import { supersedeKey, type ReviewJob } from '../../../src/jobs/job.js';
import { reviewJob, useTempStores } from '../../queue/helpers.js';

const stores = useTempStores();

function requested(pullNumber: number, instructions?: string): ReviewJob {
  const { headSha: _head, headRef: _ref, baseRef: _base, ...rest } = reviewJob(pullNumber, 'x');
  return {
    ...rest,
    trigger: 'comment',
    commentId: 99,
    ...(instructions === undefined ? {} : { instructions }),
  };
}

describe('explicit review requests and automatic reviews', () => {
  it('gives a request a key of its own, per focus text', () => {
    const push = supersedeKey(reviewJob(3, 'aaa'));
    expect(push).toBe('review:octo/widgets#3');
    expect(supersedeKey(requested(3))).toBe('review:octo/widgets#3:request');
    const parser = supersedeKey(requested(3, 'focus on the parser'));
    expect(parser).toMatch(/^review:octo\/widgets#3:request:[0-9a-f]{12}$/);
    // The same focus, spelt with other spacing or case, is the same request.
    expect(supersedeKey(requested(3, '  Focus on   the PARSER '))).toBe(parser);
    expect(supersedeKey(requested(3, 'focus on the lexer'))).not.toBe(parser);
  });

  it('keeps a queued or running request, with its focus, when a push arrives', async () => {
    const store = stores.open(await stores.dbPath());
    const asked = await store.enqueue(
      jobEnqueueInput({
        deliveryId: 'comment',
        job: requested(3, 'focus on the parser'),
      }),
    );
    const claimed = await store.claimNext();
    expect(claimed?.id).toBe(asked.job.id);
    const queuedAsk = await store.enqueue(
      jobEnqueueInput({ deliveryId: 'comment-2', job: requested(3) }),
    );

    const push = await store.enqueue(
      jobEnqueueInput({ deliveryId: 'push-1', job: reviewJob(3, 'bbb') }),
    );
    expect(push.superseded).toEqual([]);
    expect(push.supersededRunning).toEqual([]);
    expect(await store.get(asked.job.id)).toMatchObject({ status: 'running' });
    expect((await store.get(asked.job.id))?.payload).toMatchObject({
      trigger: 'comment',
      instructions: 'focus on the parser',
    });
    expect(await store.get(queuedAsk.job.id)).toMatchObject({ status: 'queued' });

    // A second push still replaces the first automatic review, and nothing else.
    const again = await store.enqueue(
      jobEnqueueInput({ deliveryId: 'push-2', job: reviewJob(3, 'ccc') }),
    );
    expect(again.superseded).toEqual([push.job.id]);
    expect(await store.get(queuedAsk.job.id)).toMatchObject({ status: 'queued' });
  });
});
