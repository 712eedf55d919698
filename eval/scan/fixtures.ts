/**
 * The scan eval's fixture repositories (eval/scan/fixtures/NAME/): `repo/` is the tree,
 * `expected.json` the vulnerabilities it holds (CWE, file, lines), `scripted.json` what
 * the scripted model answers and the score the pipeline must make of it.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Candidate, ProveOutput } from '../../src/jobs/scan/scan-output.js';
import type { ScanScript } from './scripted-scan-model.js';

export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const Expected = z.strictObject({
  description: z.string().min(1),
  findings: z.array(
    z.strictObject({
      cwe: z.string().regex(/^CWE-\d+$/),
      path: z.string().min(1),
      lines: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    }),
  ),
});
export type ExpectedVulnerability = z.infer<typeof Expected>['findings'][number];

const Count = z.number().int().min(0);
const Scripted = z.strictObject({
  note: z.string().min(1),
  /** The hunt's findings; start_line is where `evidence` is, `lines` long. */
  findings: z.array(
    Candidate.omit({ start_line: true, end_line: true, flow: true }).extend({
      lines: z.number().int().positive(),
    }),
  ),
  proofs: z.record(z.string(), ProveOutput.omit({ reproduction: true })),
  score: z.strictObject({ truePositives: Count, falsePositives: Count, falseNegatives: Count }),
});

export interface ScanFixture {
  readonly name: string;
  readonly description: string;
  readonly files: Readonly<Record<string, string>>;
  readonly expected: readonly ExpectedVulnerability[];
  readonly script: ScanScript;
  readonly scriptedScore: z.infer<typeof Scripted>['score'];
}

export async function loadScanFixtures(
  dir = FIXTURES_DIR,
  only: readonly string[] = [],
): Promise<ScanFixture[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => only.length === 0 || only.includes(name))
    .sort();
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`no scan fixture named ${unknown.join(', ')}`);
  return Promise.all(names.map((name) => loadFixture(path.join(dir, name), name)));
}

async function loadFixture(dir: string, name: string): Promise<ScanFixture> {
  const expected = Expected.parse(
    JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')),
  );
  const scripted = Scripted.parse(
    JSON.parse(await readFile(path.join(dir, 'scripted.json'), 'utf8')),
  );
  const files: Record<string, string> = {};
  const root = path.join(dir, 'repo');
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(root, full).split(path.sep).join('/')] = await readFile(full, 'utf8');
  }
  const findings = scripted.findings.map(({ lines, ...finding }) => {
    const at = (files[finding.path] ?? '')
      .split('\n')
      .findIndex((line) => line.includes(finding.evidence));
    if (at < 0)
      throw new Error(`${name}: the evidence of "${finding.title}" is not in ${finding.path}`);
    return { ...finding, start_line: at + 1, end_line: at + lines, flow: [] };
  });
  return {
    name,
    description: expected.description,
    files,
    expected: expected.findings,
    script: {
      threatModel: {
        summary: `The ${name} fixture.`,
        entry_points: [],
        trust_boundaries: [],
        sinks: [],
        priority_files: Object.keys(files).sort(),
      },
      findings,
      proofs: Object.fromEntries(
        Object.entries(scripted.proofs).map(([title, proof]) => [
          title,
          { ...proof, reproduction: null },
        ]),
      ),
      usagePerTurn: { inputTokens: 1_500, outputTokens: 200 },
    },
    scriptedScore: scripted.score,
  };
}
