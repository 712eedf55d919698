import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MultitoolIssue {
  readonly ruleId: string;
  readonly level: string;
  readonly arguments: readonly string[];
}

/**
 * Microsoft's SARIF Multitool (@microsoft/sarif-multitool) validating a log with the
 * SARIF rules and GitHub's ingestion rules (`--rule-kind "Gh;Sarif"`). The binary is run
 * directly, without a shell: the package's own wrapper passes its arguments through a
 * shell, which splits "Gh;Sarif" at the semicolon. The tool exits 0 whatever it finds, so
 * its own SARIF output is read; a result without a level is a warning (SARIF's default).
 */
export async function validateWithMultitool(log: unknown): Promise<{
  readonly errors: readonly MultitoolIssue[];
  readonly warnings: readonly MultitoolIssue[];
}> {
  const binary = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-multitool-'));
  try {
    const input = path.join(dir, 'scan.sarif');
    const output = path.join(dir, 'validation.sarif');
    await writeFile(input, JSON.stringify(log));
    await run(
      binary,
      ['validate', input, '--rule-kind', 'Gh;Sarif', '--output', output, '--log', 'ForceOverwrite'],
      // No telemetry, and no need for libicu (a fresh machine may lack it): the tool only
      // compares ASCII rule data and paths.
      {
        env: {
          ...process.env,
          DOTNET_CLI_TELEMETRY_OPTOUT: '1',
          DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1',
        },
        timeout: 120_000,
      },
    );
    const report = JSON.parse(await readFile(output, 'utf8')) as {
      runs: { results?: { ruleId: string; level?: string; message: { arguments?: string[] } }[] }[];
    };
    const issues = (report.runs[0]?.results ?? []).map((result) => ({
      ruleId: result.ruleId,
      level: result.level ?? 'warning',
      arguments: result.message.arguments ?? [],
    }));
    return {
      errors: issues.filter((issue) => issue.level === 'error'),
      warnings: issues.filter((issue) => issue.level === 'warning'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
