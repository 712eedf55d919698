import { describe, expect, it } from 'vitest';
import type { StoredJob } from '../../src/queue/types.js';
import { createAppMetrics } from '../../src/triggers/app-metrics.js';

const job = { id: 'j1', kind: 'review' } as StoredJob;

describe('the App metrics', () => {
  it('counts outcomes with their durations, model retries and rate-limit waits, and reads the queue at scrape time', async () => {
    let queued = 3;
    const metrics = createAppMetrics({
      store: {
        counts: async () => ({ queued, running: 1, succeeded: 5, failed: 2, superseded: 1 }),
      },
      runningHere: () => 1,
      backend: 'redis',
    });
    metrics.onJobEvent({ type: 'claimed', job });
    metrics.onJobEvent({ type: 'succeeded', job, durationMs: 42_000 });
    metrics.onJobEvent({
      type: 'retrying',
      job,
      durationMs: 500,
      error: 'GitHub 502',
      delayMs: 30_000,
    });
    metrics.onModelRetry({ kind: 'rate_limit', delayMs: 3600 });
    metrics.onModelRetry({ kind: 'transient', delayMs: 1000 });
    metrics.onGitHubRateLimit('github_secondary', 60);
    queued = 4;

    const text = await metrics.registry.metrics();
    expect(text).toContain('patchling_jobs{status="queued",backend="redis"} 4');
    expect(text).toContain('patchling_jobs{status="failed",backend="redis"} 2');
    expect(text).toContain('patchling_jobs_running_here 1');
    expect(text).toContain('patchling_job_outcomes_total{kind="review",outcome="succeeded"} 1');
    expect(text).toContain('patchling_job_outcomes_total{kind="review",outcome="retrying"} 1');
    expect(text).not.toContain('outcome="claimed"');
    expect(text).toContain(
      'patchling_job_duration_seconds_sum{kind="review",outcome="succeeded"} 42',
    );
    expect(text).toContain(
      'patchling_job_duration_seconds_bucket{le="60",kind="review",outcome="succeeded"} 1',
    );
    expect(text).toContain('patchling_model_retries_total{kind="rate_limit"} 1');
    expect(text).toContain('patchling_model_retries_total{kind="transient"} 1');
    expect(text).toContain('patchling_rate_limit_wait_seconds_total{source="model"} 3.6');
    expect(text).toContain('patchling_rate_limit_wait_seconds_total{source="github_secondary"} 60');
  });
});
