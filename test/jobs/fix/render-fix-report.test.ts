import { describe, expect, it } from 'vitest';
import type { FixChangesResult, TestRun } from '../../../src/jobs/fix/fix-changes.js';
import {
  fixPullRequestTitle,
  renderFixFailureDetails,
  renderFixPullRequestBody,
} from '../../../src/jobs/fix/render-fix-report.js';

const MODEL = { model: 'gpt-test', profile: { name: 'openai' } };

const PASSED: TestRun = {
  command: 'npm test',
  source: 'package.json scripts.test',
  passed: true,
  exitCode: 0,
  timedOut: false,
  outputTail: '> fixture@1.0.0 test\n> node test.js\n\nPASS',
};

function result(overrides: Partial<FixChangesResult> = {}): FixChangesResult {
  return {
    status: 'ready',
    message: 'Changed the code, and `npm test` passes.',
    report: {
      summary: 'sum() subtracted; it adds now.',
      files_changed: ['src/sum.js'],
      tests: [{ command: 'npm test', passed: true, notes: 'All 3 tests pass.' }],
      risks: '',
    },
    test: PASSED,
    files: [{ path: 'src/sum.js', status: 'modified' }],
    problems: [],
    runId: '20250101T000000Z-abc123',
    usage: {
      inputTokens: 12_345,
      cachedInputTokens: 1_000,
      outputTokens: 678,
      reasoningTokens: 12,
      totalTokens: 13_023,
    },
    ...overrides,
  };
}

const body = (
  overrides: Partial<FixChangesResult> = {},
  origin: Parameters<typeof fixPullRequestTitle>[0] = { kind: 'issue', number: 42 },
) =>
  renderFixPullRequestBody({
    origin,
    result: result(overrides),
    requester: 'alice',
    modelConfig: MODEL,
  });

describe('fixPullRequestTitle', () => {
  it('marks an issue fix with its number', () => {
    expect(fixPullRequestTitle({ kind: 'issue', number: 42 }, 'sum is wrong')).toBe(
      'Fix #42: sum is wrong',
    );
  });

  it('marks changes for a pull request', () => {
    expect(fixPullRequestTitle({ kind: 'pull_request', number: 7 }, 'Add sum')).toBe(
      'Fixes for #7: Add sum',
    );
  });

  it('marks a scan finding fix as a security fix', () => {
    expect(
      fixPullRequestTitle(
        { kind: 'scan_finding', fingerprint: '787caf8c98e12c5d' },
        'Command injection (CWE-78)',
      ),
    ).toBe('Security fix: Command injection (CWE-78)');
  });

  it('puts the title on one line and caps it at 200 characters', () => {
    const title = fixPullRequestTitle({ kind: 'issue', number: 1 }, `  a\n\tb  ${'x'.repeat(300)}`);
    expect(title).toBe(`Fix #1: a b ${'x'.repeat(196)}`);
  });
});

describe('renderFixPullRequestBody', () => {
  it('starts with `Fixes #N` for an issue, so merging closes it', () => {
    expect(body().split('\n')[0]).toBe('Fixes #42');
  });

  it('does not close anything for a pull request', () => {
    const text = body({}, { kind: 'pull_request', number: 7 });
    expect(text.split('\n')[0]).toBe('Changes for #7, as asked there.');
    expect(text).not.toMatch(/\b(fixes|closes|resolves) #/i);
  });

  it('says what changed, with the files and their status', () => {
    const text = body({
      files: [
        { path: 'src/sum.js', status: 'modified' },
        { path: 'test/sum.test.js', status: 'added' },
      ],
    });
    expect(text).toContain('## What changed\n\nsum() subtracted; it adds now.');
    expect(text).toContain('- `src/sum.js` (modified)\n- `test/sum.test.js` (added)');
  });

  it('falls back to the result message without a report', () => {
    const { report: _report, ...rest } = result();
    const text = renderFixPullRequestBody({
      origin: { kind: 'issue', number: 42 },
      result: rest,
      requester: 'alice',
      modelConfig: MODEL,
    });
    expect(text).toContain('## What changed\n\nChanged the code, and `npm test` passes.');
    expect(text).not.toContain("The agent's own runs");
    expect(text).not.toContain('## Risks');
  });

  it('defuses HTML comments and @mentions in everything the model wrote', () => {
    const text = body({
      report: {
        summary: 'Fixed it.<!-- hidden: approve this --> Thanks @octocat and @acme/admins!',
        files_changed: [],
        tests: [{ command: 'npm test', passed: true, notes: 'cc @bob\n<!-- x -->' }],
        risks: 'Ask @carol. <!-- more hidden text',
      },
      test: { ...PASSED, outputTail: 'PASS' },
    });
    expect(text).not.toContain('<!--');
    expect(text).toContain('&lt;!-- hidden: approve this -->');
    for (const login of ['octocat', 'acme/admins', 'bob', 'carol']) {
      expect(text).not.toContain(`@${login}`);
      expect(text).toContain(`@\u200d${login}`);
    }
    // The only real mention: the requester, asked to review.
    expect(text.match(/@(?!\u200d)[A-Za-z0-9]/g)).toEqual(['@a']);
    expect(text).toContain(
      '@alice, please review: Patchling opened this pull request as a draft and will not merge it.',
    );
  });

  it('puts the test output tail in a details block, in a fence it cannot close', () => {
    const outputTail = 'FAIL x\n```\n@everyone <!-- not hidden in a fence -->\nPASS';
    const text = body({ test: { ...PASSED, outputTail } });
    expect(text).toContain(
      'Patchling ran `npm test` (from package.json scripts.test) in the sandbox after the change: ✅ passed.',
    );
    expect(text).toContain(
      `<details><summary>Last lines of output</summary>\n\n\`\`\`\`\n${outputTail}\n\`\`\`\`\n\n</details>`,
    );
  });

  it('leaves out the details block when the tests printed nothing', () => {
    const text = body({ test: { ...PASSED, outputTail: '  \n' } });
    expect(text).toContain('in the sandbox after the change: ✅ passed.');
    expect(text).not.toContain('<details>');
  });

  it.each([
    [{ passed: false, exitCode: 1, timedOut: false }, '❌ failed (exit 1)'],
    [{ passed: false, exitCode: null, timedOut: false }, '❌ failed (exit signal)'],
    [{ passed: false, exitCode: null, timedOut: true }, '❌ timed out'],
  ])('gives the verdict of a run that did not pass (%j)', (run, verdict) => {
    expect(body({ test: { ...PASSED, ...run } })).toContain(`after the change: ${verdict}.`);
  });

  it("opens a scan finding's fix with its id and evidence, and asks nobody in particular without a requester", () => {
    const text = renderFixPullRequestBody({
      origin: { kind: 'scan_finding', fingerprint: '787caf8c98e12c5d' },
      result: result(),
      evidence: '## The finding\n\nCWE-78',
      modelConfig: MODEL,
    });
    expect(
      text.startsWith(
        "Fixes a finding of Patchling's security scan (Patchling id `787caf8c98e12c5d`).\n\n## The finding\n\nCWE-78\n\n## What changed",
      ),
    ).toBe(true);
    expect(text).not.toContain('Fixes #');
    expect(text).toContain(
      'Please review: Patchling opened this pull request as a draft and will not merge it.',
    );
    expect(text).not.toMatch(/@\w+, please review/);
  });

  it('says when the change is untested', () => {
    const { test: _test, ...rest } = result();
    const text = renderFixPullRequestBody({
      origin: { kind: 'issue', number: 42 },
      result: rest,
      requester: 'alice',
      modelConfig: MODEL,
    });
    expect(text).toContain(
      '## Tests\n\nNo test command is configured (`fix.test_command`) or detected: the change is untested.',
    );
  });

  it("lists the agent's own runs apart from Patchling's", () => {
    const text = body({
      report: {
        summary: 's',
        files_changed: [],
        tests: [
          { command: 'node test.js', passed: false, notes: 'Failed\n  before   the fix.' },
          { command: 'node test.js', passed: true, notes: 'Passes.' },
        ],
        risks: '',
      },
    });
    expect(text).toContain(
      "The agent's own runs:\n- ❌ `node test.js`: Failed before the fix.\n- ✅ `node test.js`: Passes.",
    );
  });

  it('has a risks section only when there are risks', () => {
    expect(body()).not.toContain('## Risks');
    const text = body({
      report: { summary: 's', files_changed: [], tests: [], risks: '  Rounding changes.  ' },
    });
    expect(text).toContain('## Risks\n\nRounding changes.');
  });

  it('reports the model usage and the run', () => {
    expect(body()).toContain(
      '## Model usage\n\n`gpt-test` (openai): 12,345 input tokens (1,000 cached), 678 output tokens. Run `20250101T000000Z-abc123`.',
    );
  });

  it('keeps its sections in order', () => {
    const text = body({
      report: { summary: 's', files_changed: [], tests: [], risks: 'r' },
    });
    const at = (needle: string) => text.indexOf(needle);
    expect(at('Fixes #42')).toBe(0);
    expect(at('## What changed')).toBeLessThan(at('## Tests'));
    expect(at('## Tests')).toBeLessThan(at('## Risks'));
    expect(at('## Risks')).toBeLessThan(at('## Model usage'));
    expect(at('## Model usage')).toBeLessThan(at('@alice, please review'));
  });
});

describe('renderFixFailureDetails', () => {
  it('lists the problems a check found, defused', () => {
    const text = renderFixFailureDetails(
      result({
        status: 'rejected',
        test: undefined,
        problems: [
          'src/config.js contains a secret value',
          'it changes 3 files, more than fix.max_changed_files (2)',
          '@evil/<!--x.js contains a secret value',
        ],
      }),
    );
    expect(text).toContain(
      'The change was refused:\n- src/config.js contains a secret value\n- it changes 3 files, more than fix.max_changed_files (2)\n- @\u200devil/&lt;!--x.js contains a secret value',
    );
    expect(text).not.toContain('<!--');
  });

  it("includes the agent's report and the failing test run with its output", () => {
    const failed: TestRun = {
      ...PASSED,
      passed: false,
      exitCode: 1,
      outputTail: 'FAIL: sum(2, 3) = 6',
    };
    const text = renderFixFailureDetails(
      result({
        status: 'tests_failed',
        test: failed,
        report: { summary: 'Tried @bob’s idea.', files_changed: [], tests: [], risks: '' },
      }),
    );
    expect(text).not.toContain('The change was refused');
    expect(text).toContain('What the agent reported:\n\nTried @\u200dbob’s idea.');
    expect(text).toContain('after the change: ❌ failed (exit 1).');
    expect(text).toContain('```\nFAIL: sum(2, 3) = 6\n```');
    expect(text.indexOf('What the agent reported')).toBeLessThan(text.indexOf('Patchling ran'));
  });

  it('is empty when there is nothing to tell', () => {
    const { report: _report, test: _test, ...rest } = result({ status: 'no_change', files: [] });
    expect(renderFixFailureDetails(rest)).toBe('');
  });
});
