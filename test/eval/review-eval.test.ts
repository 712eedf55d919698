import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures, type Fixture } from '../../eval/review/fixtures.js';
import { formatReport } from '../../eval/review/format-report.js';
import { modeFromEnv } from '../../eval/eval-mode.js';
import { runReviewEval } from '../../eval/review/run-eval.js';
import { startScriptedModelServer, step } from '../support/model-server/index.js';

let tempDir: string;

beforeAll(async () => {
  tempDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-eval-test-')));
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

async function runScripted(name: string, fixtures?: readonly Fixture[]) {
  const workDir = path.join(tempDir, name, 'work');
  const report = await runReviewEval({
    mode: 'scripted',
    stateDir: path.join(tempDir, name, 'state'),
    workDir,
    ...(fixtures ? { fixtures } : {}),
  });
  return { report, workDir };
}

describe('the review eval in scripted mode, end to end', () => {
  it('reviews every fixture in the sandbox and gets exactly the scripted score', async () => {
    const { report, workDir } = await runScripted('all');

    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const byName = Object.fromEntries(
      report.fixtures.map((fixture) => [
        fixture.name,
        [
          fixture.status,
          fixture.score.truePositives,
          fixture.score.falsePositives,
          fixture.score.falseNegatives,
        ],
      ]),
    );
    expect(byName).toEqual({
      'clean-docs-readme': ['completed', 0, 0, 0],
      'clean-refactor-money': ['completed', 0, 0, 0],
      'leaked-secret-billing': ['completed', 1, 0, 0],
      'missing-await-archive': ['completed', 1, 0, 0],
      'off-by-one-chunk': ['completed', 1, 0, 0],
      'race-counter-fast-path': ['completed', 0, 1, 1],
      'sql-injection-search': ['completed', 1, 0, 0],
    });
    expect(report.totals).toEqual({
      fixtures: 7,
      truePositives: 4,
      falsePositives: 1,
      falseNegatives: 1,
      precision: 0.8,
      recall: 0.8,
      f1: 0.8,
      cleanFixtures: 2,
      cleanWithZeroFindings: 2,
    });

    for (const fixture of report.fixtures) {
      expect(
        fixture.scripted?.checks.every((check) => check.ok),
        fixture.name,
      ).toBe(true);
    }
    const fixture = (name: string) => report.fixtures.find((f) => f.name === name);
    // The off-by-one answer carries a suggestion: it applied to the head, so it is verified.
    expect(fixture('off-by-one-chunk')?.reported[0]).toMatchObject({
      start_line: 14,
      hasSuggestion: true,
      verifiedSuggestion: true,
    });
    // The docs answer is a P3 nit: the default min_priority (P2) leaves it out.
    expect(fixture('clean-docs-readme')?.dropped).toEqual([
      expect.objectContaining({ priority: 'P3', reason: 'P3 is below the minimum priority P2' }),
    ]);
    // The missing-await answer is a line off: only the tolerance matches it.
    expect(fixture('missing-await-archive')?.reported[0]).toMatchObject({ start_line: 16 });

    expect(formatReport(report)).toContain(
      'Totals: TP 4, FP 1, FN 1; precision 0.80, recall 0.80, F1 0.80; clean PRs with zero findings 2/2',
    );
    // The fixture repositories are gone.
    expect(await readdir(workDir)).toEqual([]);
  }, 120_000);

  it('fails the gate when the pipeline loses a finding or moves its lines', async () => {
    const fixtures = await loadFixtures(undefined, ['off-by-one-chunk', 'clean-refactor-money']);
    const byName = (name: string) => {
      const found = fixtures.find((fixture) => fixture.name === name);
      if (!found) throw new Error(`no fixture ${name}`);
      return found;
    };
    const offByOne = byName('off-by-one-chunk');
    const clean = byName('clean-refactor-money');
    const answer = offByOne.scripted.answer;
    const [finding] = answer.findings;
    if (!finding) throw new Error('the off-by-one fixture has no scripted finding');
    // As if the lines had been mapped to the wrong side, or the finding filtered away:
    // the scripted.json still claims one true positive, so the eval must notice.
    const moved: Fixture = {
      ...offByOne,
      scripted: {
        ...offByOne.scripted,
        answer: {
          ...answer,
          findings: [{ ...finding, start_line: 20, end_line: 21, suggestion: null }],
        },
      },
    };
    const lost: Fixture = {
      ...clean,
      name: 'clean-but-flagged',
      scripted: {
        ...clean.scripted,
        answer: {
          verdict: 'issues_found',
          summary: 'A finding on a clean pull request.',
          findings: [{ ...finding, path: 'src/invoice.ts', start_line: 3, end_line: 3 }],
        },
      },
    };

    const { report } = await runScripted('tampered', [moved, lost]);

    expect(report.ok).toBe(false);
    expect(report.fixtures.map((f) => [f.name, f.status, f.scripted?.scoreMatches])).toEqual([
      ['off-by-one-chunk', 'completed', false],
      ['clean-but-flagged', 'completed', false],
    ]);
    expect(report.problems).toEqual([
      'off-by-one-chunk: scored TP 0 FP 1 FN 1, its scripted.json says TP 1 FP 0 FN 0',
      'clean-but-flagged: scored TP 0 FP 1 FN 0, its scripted.json says TP 0 FP 0 FN 0',
    ]);
    expect(report.totals.cleanWithZeroFindings).toBe(0);
    expect(formatReport(report)).toContain('Scripted gate: FAILED');
  }, 120_000);
});

describe('the review eval in real mode', () => {
  // A "real" provider here is a loopback server configured through the environment,
  // exactly as an OpenAI-compatible endpoint would be.
  const noIssues = JSON.stringify({ verdict: 'no_issues', summary: 'Looks fine.', findings: [] });
  const only = ['clean-docs-readme', 'off-by-one-chunk'];

  it('resolves the model from the environment and reports the score without gating on it', async () => {
    const server = await startScriptedModelServer([step.text(noIssues), step.text(noIssues)]);
    try {
      const report = await runReviewEval({
        mode: 'real',
        stateDir: path.join(tempDir, 'real', 'state'),
        workDir: path.join(tempDir, 'real', 'work'),
        only,
        env: {
          PATCHLING_PROVIDER: 'local',
          OPENAI_BASE_URL: server.baseURL,
          PATCHLING_MODEL: 'some-model',
        },
      });
      expect(report.model).toEqual({ provider: 'local', api: 'chat', model: 'some-model' });
      expect(server.requests).toHaveLength(2);
      expect(report.fixtures.map((f) => [f.name, f.status, f.scripted])).toEqual([
        ['clean-docs-readme', 'completed', undefined],
        ['off-by-one-chunk', 'completed', undefined],
      ]);
      // The bug was missed: a poor score, reported, and still a successful run.
      expect(report.totals).toMatchObject({
        truePositives: 0,
        falseNegatives: 1,
        recall: 0,
        f1: 0,
        cleanWithZeroFindings: 1,
      });
      expect(report.ok).toBe(true);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('fails the run when a review cannot be completed', async () => {
    const server = await startScriptedModelServer([
      step.badRequest('The model `some-model` does not exist.'),
      step.text(noIssues),
    ]);
    try {
      const report = await runReviewEval({
        mode: 'real',
        stateDir: path.join(tempDir, 'real-failing', 'state'),
        workDir: path.join(tempDir, 'real-failing', 'work'),
        only,
        env: {
          PATCHLING_PROVIDER: 'local',
          OPENAI_BASE_URL: server.baseURL,
          PATCHLING_MODEL: 'some-model',
        },
      });
      expect(report.fixtures.map((f) => f.status)).toEqual(['failed', 'completed']);
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        expect.stringMatching(/^clean-docs-readme: The review failed: .*does not exist/),
      ]);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe('modeFromEnv', () => {
  it('is scripted unless PATCHLING_EVAL=real, and refuses anything else', () => {
    expect(modeFromEnv({})).toBe('scripted');
    expect(modeFromEnv({ PATCHLING_EVAL: 'scripted' })).toBe('scripted');
    expect(modeFromEnv({ PATCHLING_EVAL: 'real' })).toBe('real');
    expect(() => modeFromEnv({ PATCHLING_EVAL: 'yes' })).toThrow(/PATCHLING_EVAL/);
  });
});
