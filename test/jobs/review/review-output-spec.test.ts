import { describe, expect, it } from 'vitest';
import { isStrictCompatible, parseFinalOutput } from '../../../src/agent/final-output.js';
import { reviewOutputSpec } from '../../../src/jobs/review/review-output-spec.js';
import { makeFinding } from './make-finding.js';

const GOOD = {
  verdict: 'issues_found',
  summary: 'Adds paging. The last page is lost.',
  findings: [makeFinding(), makeFinding({ suggestion: 'return Math.ceil(total / size);' })],
};

describe('reviewOutputSpec', () => {
  it('is named review and accepts a good answer', () => {
    const spec = reviewOutputSpec();
    expect(spec.name).toBe('review');
    expect(spec.validate(GOOD)).toBeUndefined();
    expect(spec.validate({ verdict: 'no_issues', summary: 'Fine.', findings: [] })).toBeUndefined();
  });

  it('accepts the answer as the model sends it, fenced JSON text', () => {
    const parsed = parseFinalOutput(
      '```json\n' + JSON.stringify(GOOD) + '\n```',
      reviewOutputSpec(),
    );
    expect(parsed).toEqual({ ok: true, value: GOOD });
  });

  it.each([
    ['a priority outside P0–P3', { priority: 'P4' }, 'priority'],
    ['a confidence above 1', { confidence: 1.5 }, 'confidence'],
    ['a line 0', { start_line: 0 }, 'start_line'],
    [
      'a missing suggestion (null is required, not absence)',
      { suggestion: undefined },
      'suggestion',
    ],
  ])('rejects %s and names the field', (_name, overrides, field) => {
    const bad = { ...GOOD, findings: [{ ...makeFinding(), ...overrides }] };
    const problem = reviewOutputSpec().validate(JSON.parse(JSON.stringify(bad)));
    expect(problem).toBeDefined();
    expect(problem).toContain(field);
  });

  it('rejects an unknown field and a wrong verdict', () => {
    expect(reviewOutputSpec().validate({ ...GOOD, score: 3 })).toContain('score');
    expect(reviewOutputSpec().validate({ ...GOOD, verdict: 'lgtm' })).toContain('verdict');
  });

  it('is strict compatible, with suggestion required and nullable', () => {
    const { schema } = reviewOutputSpec();
    expect(isStrictCompatible(schema)).toBe(true);
    const finding = (schema.properties as Record<string, Record<string, unknown>>).findings
      ?.items as Record<string, unknown>;
    expect(finding.required).toContain('suggestion');
    expect(JSON.stringify((finding.properties as Record<string, unknown>).suggestion)).toContain(
      '"null"',
    );
  });
});
