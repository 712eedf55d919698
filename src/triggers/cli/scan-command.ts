import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stateDir } from '../../agent/run-log.js';
import { describeError, UserError } from '../../errors.js';
import { secretsOfEnv } from '../../jobs/prepare-agent-run.js';
import type { ScanFinding } from '../../jobs/scan/scan-finding.js';
import { SEVERITY_RANK, type Severity } from '../../jobs/scan/scan-output.js';
import { scanRepository, type ScanResult } from '../../jobs/scan/scan-repository.js';
import { scanSarif } from '../../jobs/scan/scan-sarif.js';
import { resolveModelConfig } from '../../model/model-config.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { readWorkspaceFile } from '../../workspace/read-workspace-file.js';
import { loadCliConfigFile } from './config-file.js';
import type { CliIo } from './exec-command.js';
import { fixFindingsLocally, formatLocalFixes, type LocalScanFixes } from './scan-fixes.js';
import {
  agentProgressDisplay,
  locateCheckout,
  modelSettings,
  readCheckoutConfig,
  resolveBudgets,
  runUserGit,
  userExcludesFile,
  type BudgetFlags,
  type ModelFlags,
} from './run-settings.js';

export interface ScanFlags extends ModelFlags, BudgetFlags {
  readonly cd?: string;
  readonly since?: string;
  readonly sarif?: string;
  readonly json?: boolean;
  readonly failOn?: Severity;
  readonly config?: string;
  /** Fix the reproduced findings at scan.fix_at or above, as patches (scan-fixes.ts). */
  readonly fix?: boolean;
}

/**
 * `patchling scan`, with review's exit codes: 0 scanned and nothing at the --fail-on bar,
 * 1 a finding reached it, 2 bad usage or config, 3 the scan could not be completed (or was
 * cut short with nothing at the bar: it cannot vouch for the code), 124 a budget ended it
 * before any of the hunt ran.
 */
export const SCAN_EXIT = { clean: 0, findings: 1, usage: 2, incomplete: 3, budget: 124 } as const;

export async function runScan(flags: ScanFlags, io: CliIo): Promise<number> {
  const file = loadCliConfigFile(flags.config, io.env);
  const { cwd, workspace } = locateCheckout(io.cwd, flags.cd);
  const config = await readCheckoutConfig(workspace);
  const modelConfig = resolveModelConfig(modelSettings(flags, file, io.env), io.env);
  const budgets = resolveBudgets(flags, file);
  const failOn = flags.failOn ?? config.scan.fail_on;
  const redactor = new SecretRedactor([modelConfig.apiKey, ...secretsOfEnv(io.env)]);
  const redact = (text: string) => redactor.redact(text);
  const gitattributes = await readWorkspaceFile(workspace, '.gitattributes');
  const maxTokens = flags.maxTokens ?? config.scan.max_tokens;
  // Before the model is paid for: a fix's patch must not carry the user's own changes.
  const excludesFile = flags.fix ? await cleanCheckoutExcludes(workspace, io.env) : undefined;

  let result: ScanResult;
  try {
    result = await scanRepository({
      workspace,
      since: flags.since,
      settings: config.scan,
      ...(gitattributes === undefined ? {} : { gitattributes }),
      sandboxEnv: config.sandbox.env,
      modelConfig,
      stateDir: stateDir(io.env),
      env: io.env,
      budgets: {
        maxTurnsPerRun: budgets.maxTurns,
        maxTokens,
        deadlineAt: budgets.deadlineAt,
      },
      signal: io.signal,
      onPass: (pass) => {
        if (flags.json) return;
        if (pass.pass === 'threat_model') io.stderr('mapping the attack surface\n');
        else if (pass.pass === 'hunt')
          io.stderr(`hunting, part ${pass.index} of ${pass.total}: ${pass.files.join(', ')}\n`);
        else io.stderr(`proving ${pass.index} of ${pass.total}: ${redact(pass.title)}\n`);
      },
      onEvent: agentProgressDisplay(Boolean(flags.json), io, redact),
      onWarning: (message) => io.stderr(`warning: ${message}\n`),
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    io.stderr(`patchling: the scan could not be completed: ${redact(describeError(error))}\n`);
    return SCAN_EXIT.incomplete;
  }

  if (flags.sarif !== undefined) {
    const sarif = await scanSarif(result, { workspace, redactor });
    const target = path.resolve(cwd, flags.sarif);
    await writeFile(target, `${JSON.stringify(sarif.log, null, 2)}\n`);
    for (const note of sarif.notes) io.stderr(`patchling: SARIF: ${note}\n`);
  }
  if (!flags.json) io.stdout(redact(formatScanReport(result)));
  const fixes = flags.fix
    ? await fixFindingsLocally({
        result,
        workspace,
        config,
        budgets: { ...budgets, maxTokens },
        modelConfig,
        stateDir: stateDir(io.env),
        env: io.env,
        secrets: [modelConfig.apiKey, ...secretsOfEnv(io.env)],
        redact,
        excludesFile,
        signal: io.signal,
        onProgress: (text) => {
          if (!flags.json) io.stderr(`${redact(text)}\n`);
        },
        onWarning: (message) => io.stderr(`warning: ${message}\n`),
      })
    : undefined;
  if (flags.json) {
    io.stdout(`${redact(JSON.stringify({ ...toJson(result), ...fixesJson(fixes) }))}\n`);
  } else if (fixes) io.stdout(redact(formatLocalFixes(fixes)));

  if (result.status === 'failed') {
    io.stderr(`patchling: ${redact(result.message)}\n`);
    return result.cutReason !== undefined ? SCAN_EXIT.budget : SCAN_EXIT.incomplete;
  }
  if (
    failOn !== undefined &&
    result.findings.some((f) => SEVERITY_RANK[f.severity] <= SEVERITY_RANK[failOn])
  ) {
    return SCAN_EXIT.findings;
  }
  if (result.status === 'incomplete') {
    io.stderr(`patchling: ${redact(result.message)}\n`);
    return SCAN_EXIT.incomplete;
  }
  return SCAN_EXIT.clean;
}

function fixesJson(fixes: LocalScanFixes | undefined) {
  if (fixes === undefined) return {};
  return { fixes: fixes.fixes, ...(fixes.note ? { fixes_note: fixes.note } : {}) };
}

/** `--fix` needs a clean checkout; the user's global excludes apply to the fixes. */
async function cleanCheckoutExcludes(
  workspace: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const dirty = await runUserGit(workspace, env, ['status', '--porcelain']);
  if (dirty.trim() !== '') {
    throw new UserError(
      'The checkout has uncommitted changes: commit or stash them before --fix, so the fixes can be told apart from them.',
    );
  }
  return userExcludesFile(workspace, env);
}

export function formatScanReport(result: ScanResult): string {
  const parts: string[] = [];
  for (const finding of result.findings) parts.push(formatFinding(finding));
  const lines = [result.message];
  for (const skipped of result.skippedFiles)
    lines.push(`Skipped ${skipped.path}: ${skipped.reason}`);
  for (const missed of result.notCovered)
    lines.push(`Not covered ${missed.path}: ${missed.reason}`);
  if (result.dropped.length > 0) {
    lines.push(
      `Left out ${result.dropped.length} candidate${result.dropped.length === 1 ? '' : 's'}:`,
    );
    for (const { candidate, reason } of result.dropped) {
      lines.push(
        `  ${candidate.path}:${candidate.start_line} ${candidate.cwe} ${candidate.title}: ${reason}`,
      );
    }
  }
  lines.push(`Threat model and result: ${result.artefactsDir}`);
  parts.push(lines.join('\n'));
  return `${parts.join('\n\n')}\n`;
}

function formatFinding(finding: ScanFinding): string {
  const proof = finding.proof;
  const lines = [
    `${finding.severity.toUpperCase()} ${finding.cwe} ${finding.title}`,
    `  ${finding.path}:${finding.startLine}${finding.endLine > finding.startLine ? `-${finding.endLine}` : ''}`,
    ...finding.explanation.split('\n').map((line) => `  ${line}`),
    `  proof: ${proof.status}${proof.reproduction ? ` (\`${proof.reproduction.command}\` exited ${proof.reproduction.exitCode ?? 'by a signal'})` : ''}`,
  ];
  return lines.join('\n');
}

function toJson(result: ScanResult) {
  return {
    status: result.status,
    message: result.message,
    mode: result.mode,
    head: result.head,
    ...(result.since === undefined ? {} : { since: result.since }),
    findings: result.findings,
    dropped: result.dropped.map(({ candidate, reason }) => ({ ...candidate, reason })),
    scanned_files: result.scannedFiles,
    skipped_files: result.skippedFiles,
    not_covered: result.notCovered,
    ...(result.cutReason === undefined ? {} : { cut_reason: result.cutReason }),
    artefacts: result.artefactsDir,
    run_ids: result.runIds,
    usage: result.usage,
    duration_ms: result.durationMs,
  };
}
