import { describe, expect, it } from 'vitest';
import { buildSarif } from '../../../src/github/sarif/build-sarif.js';
import { validateWithMultitool } from '../../support/sarif-multitool.js';

describe('the SARIF Multitool check the scan tests rely on', () => {
  it('reports GitHub ingestion errors, so "zero errors" means something', async () => {
    const log = await buildSarif({
      findings: [],
      toolVersion: '0.1.0',
      head: 'c'.repeat(40),
      executionSuccessful: true,
      notes: [],
      category: 'patchling/scan-full',
      readFile: () => Promise.resolve(undefined),
    });
    expect((await validateWithMultitool(log)).errors).toEqual([]);
    // A result GitHub cannot ingest: no location, a message without text.
    const broken = {
      ...log,
      runs: [{ ...log.runs[0], results: [{ ruleId: 'patchling/cwe-89', message: { id: 'm' } }] }],
    };
    const errors = (await validateWithMultitool(broken)).errors.map((issue) => issue.ruleId);
    expect(errors.some((id) => id.startsWith('GH'))).toBe(true);
  }, 60_000);
});
