/**
 * The scripted model's fixes of the planted command injection (see planted-repo.ts): one
 * that removes it and one that leaves it, answered when the fix engine asks; every other
 * request is the scan's, answered by the scan script.
 */
import { scanScriptSteps, type ScanScript } from '../../../eval/scan/scripted-scan-model.js';
import type { FixOutput } from '../../../src/jobs/fix/fix-output.js';
import { step, type ScriptStep } from '../../support/model-server/index.js';
import type { RecordedRequest } from '../../support/model-server/script.js';
import { plantedScript } from './planted-repo.js';

const FIX_CALL = 'call_fix_backup';

export const REAL_FIX = [
  '*** Begin Patch',
  '*** Update File: bin/backup.sh',
  '@@',
  '-eval "ls -- projects/$name"',
  '+ls -- "projects/$name"',
  '*** End Patch',
  '',
].join('\n');

/** A "fix" that leaves the eval in place: the reproduction still shows the injection. */
export const NO_FIX = [
  '*** Begin Patch',
  '*** Update File: bin/backup.sh',
  '@@',
  ' set -u',
  '+# The project name is trusted.',
  '*** End Patch',
  '',
].join('\n');

export const FIX_REPORT: FixOutput = {
  summary: 'backup.sh ran the project name through `eval`; it now passes it to `ls` as one word.',
  files_changed: ['bin/backup.sh'],
  tests: [{ command: 'bash repro.sh', passed: true, notes: 'No second command runs.' }],
  risks: 'Names with glob characters are no longer expanded.',
};

/** A request of the fix engine (prompts/fix.md), not of the scan. */
export function isFixRequest(request: Pick<RecordedRequest, 'rawBody'>): boolean {
  return request.rawBody.includes('# Fixing an issue');
}

/** The scan's scripted answers, and the fix run's: one patch, then the report. */
export function scanAndFixSteps(
  fixPatch: string,
  script: ScanScript = plantedScript(),
): ScriptStep[] {
  return scanScriptSteps(script).map((scanStep) =>
    step.respond((request) => {
      if (!isFixRequest(request)) return scanStep;
      if (!request.rawBody.includes(FIX_CALL)) {
        return step.toolCalls([
          { name: 'apply_patch', arguments: { input: fixPatch }, callId: FIX_CALL },
        ]);
      }
      return step.text(JSON.stringify(FIX_REPORT));
    }),
  );
}
