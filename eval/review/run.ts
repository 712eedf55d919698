/**
 * `npm run eval:review`: the review job over the fixture pull requests, scored.
 *
 *   npm run eval:review                      scripted model (CI): exit 0 only with the exact scripted score
 *   PATCHLING_EVAL=real npm run eval:review  the configured provider: scores reported, not gated
 *
 * Options: --mode scripted|real (overrides PATCHLING_EVAL), --only NAME (repeatable),
 * --out FILE (the JSON report; default report.json in the run's state directory),
 * --state-dir DIR (default $PATCHLING_STATE_DIR or ~/.local/state/patchling, under
 * eval/review/<time>), --max-turns N.
 *
 * Exit: 0 passed (scripted) or every review ran (real); 1 the scripted gate failed or a
 * review crashed or failed; 2 bad usage or configuration.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stateDir } from '../../src/agent/run-log.js';
import { describeError } from '../../src/errors.js';
import { formatReport } from './format-report.js';
import { modeFromEnv, type EvalMode } from '../eval-mode.js';
import { runReviewEval } from './run-eval.js';

async function main(): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  let mode: EvalMode;
  try {
    values = parse().values;
    mode = values.mode === undefined ? modeFromEnv(process.env) : parseMode(values.mode);
  } catch (error) {
    console.error(`eval:review: ${describeError(error)}`);
    return 2;
  }
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const runDir = path.resolve(
    values['state-dir'] ?? path.join(stateDir(process.env), 'eval', 'review', `${stamp}-${mode}`),
  );
  const maxTurns = values['max-turns'] === undefined ? undefined : Number(values['max-turns']);
  if (maxTurns !== undefined && (!Number.isInteger(maxTurns) || maxTurns <= 0)) {
    console.error('eval:review: --max-turns must be a positive whole number.');
    return 2;
  }

  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  let report;
  try {
    report = await runReviewEval({
      mode,
      stateDir: runDir,
      only: values.only ?? [],
      ...(maxTurns === undefined ? {} : { maxTurns }),
      onProgress: (line) => console.error(line),
      signal: abort.signal,
    });
  } catch (error) {
    console.error(`eval:review: ${describeError(error)}`);
    return abort.signal.aborted ? 130 : 2;
  }

  const out = path.resolve(values.out ?? path.join(runDir, 'report.json'));
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(formatReport(report));
  console.log(`Report: ${out}\nRun logs: ${path.join(runDir, 'runs')}`);
  return report.ok ? 0 : 1;
}

function parse() {
  return parseArgs({
    options: {
      mode: { type: 'string' },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      'state-dir': { type: 'string' },
      'max-turns': { type: 'string' },
    },
    allowPositionals: false,
  });
}

function parseMode(value: string): EvalMode {
  if (value === 'scripted' || value === 'real') return value;
  throw new Error(`--mode must be scripted or real; got ${JSON.stringify(value)}.`);
}

process.exitCode = await main();
