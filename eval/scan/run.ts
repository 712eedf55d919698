/**
 * `npm run eval:scan`: the scan engine over the fixture repositories, scored by CWE, file
 * and line. Scripted model by default (CI: exit 0 only with the exact scripted score);
 * PATCHLING_EVAL=real (or --mode real) uses the configured provider and gates only on
 * crashes. Options: --only NAME (repeatable), --out FILE, --state-dir DIR, --max-turns N.
 * Exit: 0 passed, 1 the gate failed, 2 bad usage.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stateDir } from '../../src/agent/run-log.js';
import { describeError } from '../../src/errors.js';
import { modeFromEnv, type EvalMode } from '../eval-mode.js';
import { formatScanReport, runScanEval } from './run-eval.js';

async function main(): Promise<number> {
  let values;
  let mode: EvalMode;
  try {
    values = parseArgs({
      options: {
        mode: { type: 'string' },
        only: { type: 'string', multiple: true },
        out: { type: 'string' },
        'state-dir': { type: 'string' },
        'max-turns': { type: 'string' },
      },
    }).values;
    const chosen = values.mode ?? modeFromEnv(process.env);
    if (chosen !== 'scripted' && chosen !== 'real')
      throw new Error('--mode must be scripted or real');
    mode = chosen;
  } catch (error) {
    console.error(`eval:scan: ${describeError(error)}`);
    return 2;
  }
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const runDir = path.resolve(
    values['state-dir'] ?? path.join(stateDir(process.env), 'eval', 'scan', `${stamp}-${mode}`),
  );
  const maxTurns = values['max-turns'] === undefined ? undefined : Number(values['max-turns']);
  if (maxTurns !== undefined && (!Number.isInteger(maxTurns) || maxTurns <= 0)) {
    console.error('eval:scan: --max-turns must be a positive whole number.');
    return 2;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const report = await runScanEval({
    mode,
    stateDir: runDir,
    only: values.only ?? [],
    ...(maxTurns === undefined ? {} : { maxTurns }),
    onProgress: (line) => console.error(line),
    signal: abort.signal,
  });
  const out = path.resolve(values.out ?? path.join(runDir, 'report.json'));
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(formatScanReport(report));
  console.log(`Report: ${out}`);
  return report.ok ? 0 : 1;
}

process.exitCode = await main();
