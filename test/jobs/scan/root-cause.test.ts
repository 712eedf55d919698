import { describe, expect, it } from 'vitest';
import { mergeByRootCause, rootCauseFingerprint } from '../../../src/jobs/scan/root-cause.js';
import {
  falsePositiveClass,
  isTestOnly,
  theoreticalRace,
} from '../../../src/jobs/scan/false-positive-classes.js';
import type { Candidate } from '../../../src/jobs/scan/scan-output.js';

const base: Candidate = {
  title: 'SQL injection',
  cwe: 'CWE-89',
  severity: 'high',
  confidence: 0.8,
  path: 'app/db.py',
  start_line: 10,
  end_line: 11,
  evidence: 'x',
  root_cause: 'search formats the term into SQL',
  explanation: 'e',
  flow: [],
};

describe('rootCauseFingerprint', () => {
  it('ignores line numbers, case and punctuation, and tells CWEs and files apart', () => {
    const fp = rootCauseFingerprint(base);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(
      rootCauseFingerprint({ ...base, root_cause: 'Search formats the term into SQL (line 12).' }),
    ).toBe(fp);
    expect(rootCauseFingerprint({ ...base, cwe: 'CWE-78' })).not.toBe(fp);
    expect(rootCauseFingerprint({ ...base, path: 'app/other.py' })).not.toBe(fp);
  });
});

describe('mergeByRootCause', () => {
  it('merges one weakness reported twice, keeping the most severe, and keeps different ones apart', () => {
    const merged = mergeByRootCause([
      { ...base, severity: 'medium', start_line: 11, end_line: 12, root_cause: 'other words' },
      base,
      { ...base, start_line: 40, end_line: 40, root_cause: 'search formats the term into sql' },
      { ...base, cwe: 'CWE-79' },
    ]);
    expect(merged.map((m) => [m.candidate.cwe, m.candidate.severity, m.related])).toEqual([
      [
        'CWE-89',
        'high',
        [
          { path: 'app/db.py', line: 40 },
          { path: 'app/db.py', line: 11 },
        ],
      ],
      ['CWE-79', 'high', []],
    ]);
  });
});

describe('false-positive classes', () => {
  it('drops DoS-only, rate limiting and test-only findings with the reason, and unproven races', () => {
    expect(falsePositiveClass({ ...base, cwe: 'CWE-400' })).toMatch(/^denial of service only/);
    expect(falsePositiveClass({ ...base, cwe: 'CWE-307' })).toMatch(/^missing rate limiting/);
    expect(falsePositiveClass({ ...base, path: 'src/__tests__/db.test.ts' })).toBe(
      'test-only code (src/__tests__/db.test.ts)',
    );
    expect(falsePositiveClass(base)).toBeUndefined();
    expect(theoreticalRace({ ...base, cwe: 'CWE-367' }, false)).toMatch(/^theoretical race/);
    expect(theoreticalRace({ ...base, cwe: 'CWE-367' }, true)).toBeUndefined();
    expect(['pkg/x_test.go', 'tests/a.py', 'test_db.py', 'src/db.spec.ts'].every(isTestOnly)).toBe(
      true,
    );
    expect(['src/testing.ts', 'contest/a.py'].some(isTestOnly)).toBe(false);
  });
});
