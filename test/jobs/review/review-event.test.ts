import { describe, expect, it } from 'vitest';
import { parseReviewMarker } from '../../../src/github/review/markers.js';
import { renderReviewBody } from '../../../src/github/review/render-review-body.js';
import { defaultRepoConfig } from '../../../src/jobs/repo-config.js';
import { reviewEvent } from '../../../src/jobs/review/run-review-job.js';
import { makeFinding } from './make-finding.js';

const HEAD = '0123456789abcdef0123456789abcdef01234567';
const settings = (overrides: Record<string, unknown> = {}) => ({
  ...defaultRepoConfig().review,
  ...overrides,
});
const published = (priority: 'P0' | 'P1' | 'P2' | 'P3') => ({
  ...makeFinding({ priority }),
  verifiedSuggestion: false,
});

describe('reviewEvent', () => {
  it('comments unless the repository configured otherwise', () => {
    expect(reviewEvent(settings(), [published('P0')], { complete: true })).toBe('COMMENT');
    expect(reviewEvent(settings(), [], { complete: true })).toBe('COMMENT');
  });

  it('requests changes when a posted finding reaches request_changes_at, and only then', () => {
    const bar = settings({ request_changes_at: 'P1' });
    expect(reviewEvent(bar, [published('P2'), published('P1')], { complete: false })).toBe(
      'REQUEST_CHANGES',
    );
    expect(reviewEvent(bar, [published('P2')], { complete: true })).toBe('COMMENT');
  });

  it('approves only a complete review of the whole change that found nothing', () => {
    const approving = settings({ approve_when_clean: true });
    expect(reviewEvent(approving, [], { complete: true })).toBe('APPROVE');
    // Incremental, partial, or with skipped files: not complete, never an approval.
    expect(reviewEvent(approving, [], { complete: false })).toBe('COMMENT');
    expect(reviewEvent(approving, [published('P3')], { complete: true })).toBe('COMMENT');
  });
});

describe('the reviewed-commit marker', () => {
  const body = (markReviewed?: boolean) =>
    renderReviewBody({
      headSha: HEAD,
      ...(markReviewed === undefined ? {} : { markReviewed }),
      summary: 'Looked at it.',
      reviewedFiles: ['a.ts'],
      skippedFiles: [],
      inSummary: [],
    });

  it('records the head by default, and nothing for a partial review', () => {
    expect(parseReviewMarker(body())).toBe(HEAD);
    expect(parseReviewMarker(body(false))).toBeUndefined();
    expect(body(false)).toContain('Looked at it.');
  });
});
