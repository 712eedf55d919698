import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PatchlingError, UserError, describeError } from '../errors.js';
import { packageVersion } from '../util/package-version.js';
import { EXIT, runExec, runResume, type CliIo, type ExecFlags } from './cli/exec-command.js';
import { runFix, type FixFlags } from './cli/fix-command.js';
import { runReview, type ReviewFlags } from './cli/review-command.js';
import { runSetup, type SetupFlags } from './cli/setup-command.js';
import { runScan, type ScanFlags } from './cli/scan-command.js';

/**
 * The `patchling` command. Parses, hands over to a command module, and maps the outcome
 * to an exit code. exec: 0 done, 1 the task failed, 2 bad usage or config, 124 a budget or
 * deadline ended it. review: see REVIEW_EXIT; fix: FIX_EXIT; scan: SCAN_EXIT.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.done;
  const program = new Command('patchling')
    .description(
      'A coding agent for CI: every command sandboxed, no secrets in reach of the model.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    // `exec resume ID --json`: options after a subcommand belong to it, not to exec.
    .enablePositionalOptions();

  const exec = addRunOptions(
    program
      .command('exec')
      .description('Run a task on the checkout in the current directory.')
      .argument('[prompt]', 'the task; `-` reads it from stdin')
      .enablePositionalOptions(),
  ).action(async (prompt: string | undefined, flags: ExecFlags) => {
    exitCode = await runExec(prompt, flags, io);
  });

  addRunOptions(
    exec
      .command('resume')
      .description('Continue a run that was interrupted, from its log.')
      .argument('[run-id]', 'the run to continue')
      .option('--last', 'continue the most recent run'),
  ).action(async (runId: string | undefined, flags: ExecFlags & { last?: boolean }) => {
    exitCode = await runResume(runId, flags, io);
  });

  addModelOptions(
    program
      .command('review')
      .description(
        'Review the changes of the checkout in the current directory and print the findings.',
      )
      .option('-C, --cd <dir>', 'work in this directory instead of the current one')
      .option(
        '--base <ref>',
        'review what changed since the merge base with REF (default: origin/HEAD, main, master)',
      )
      .option('--uncommitted', 'review only the changes not committed yet')
      .option('--json', 'print the review as one JSON object on stdout')
      .addOption(
        new Option(
          '--fail-on <priority>',
          'exit 1 when a finding is at least this severe (default: review.fail_on)',
        ).choices(['P0', 'P1', 'P2', 'P3']),
      )
      .option(
        '--max-turns <n>',
        'stop each part of the review after this many model turns',
        positiveInt,
      )
      .option(
        '--timeout <duration>',
        'wall-clock limit for the whole review, e.g. 10m (default 30m)',
      ),
  ).action(async (flags: ReviewFlags) => {
    exitCode = await runReview(flags, io);
  });

  addModelOptions(
    program
      .command('fix')
      .description(
        'Fix a problem in the checkout in the current directory; Patchling runs the tests after.',
      )
      .argument('[description]', 'what is wrong')
      .option('-C, --cd <dir>', 'work in this directory instead of the current one')
      .option('--issue-file <file>', 'read the problem (an issue text) from this file')
      .option('-i, --image <file>', 'attach an image, e.g. a screenshot (repeatable)', collect, [])
      .option('--branch <name>', 'make the fix on this new branch and commit it there')
      .option('--json', 'print the result as one JSON object on stdout')
      .option('--max-turns <n>', 'stop after this many model turns', positiveInt)
      .option('--timeout <duration>', 'wall-clock limit, e.g. 10m (default 30m)'),
  ).action(async (description: string | undefined, flags: FixFlags) => {
    exitCode = await runFix(description, flags, io);
  });

  program
    .command('setup')
    .description(
      "Install the checkout's dependencies as jobs do: setup.run or the lockfiles, through the egress allowlist, cached.",
    )
    .option('-C, --cd <dir>', 'work in this directory instead of the current one')
    .option('--no-cache', 'run setup even when a cached result exists (and do not store one)')
    .option('--json', 'print the outcome as one JSON object on stdout')
    .action(async (flags: SetupFlags) => {
      exitCode = await runSetup(flags, io);
    });
  addModelOptions(
    program
      .command('scan')
      .description('Scan the checkout in the current directory for security vulnerabilities.')
      .option('-C, --cd <dir>', 'work in this directory instead of the current one')
      .option('--since <ref>', 'scan only the files changed since this commit')
      .option('--sarif <file>', 'also write the findings as SARIF 2.1.0 to this file')
      .option('--json', 'print the scan as one JSON object on stdout')
      .option(
        '--fix',
        'fix each reproduced finding at scan.fix_at or above on a copy, and write the proven fixes as patches (the checkout is not changed)',
      )
      .addOption(
        new Option(
          '--fail-on <severity>',
          'exit 1 when a finding is at least this severe (default: scan.fail_on)',
        ).choices(['critical', 'high', 'medium', 'low']),
      )
      .option(
        '--max-turns <n>',
        'stop each agent run of the scan after this many turns',
        positiveInt,
      )
      .option(
        '--max-tokens <n>',
        'tokens for the whole scan (default: scan.max_tokens)',
        positiveInt,
      )
      .option(
        '--timeout <duration>',
        'wall-clock limit for the whole scan, e.g. 30m (default 30m)',
      ),
  ).action(async (flags: ScanFlags) => {
    exitCode = await runScan(flags, io);
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.done : EXIT.usage;
    }
    io.stderr(`patchling: ${describeError(error)}\n`);
    if (error instanceof UserError) return EXIT.usage;
    if (!(error instanceof PatchlingError) && io.env.PATCHLING_DEBUG && error instanceof Error) {
      io.stderr(`${error.stack ?? ''}\n`);
    }
    return EXIT.failed;
  }
}

function addRunOptions(command: Command): Command {
  return addModelOptions(command)
    .option('-C, --cd <dir>', 'work in this directory instead of the current one')
    .option('--json', 'print events as JSON lines on stdout, and nothing else there')
    .addOption(
      new Option('-s, --sandbox <policy>', 'sandbox policy').choices([
        'read-only',
        'workspace-write',
        'danger-full-access',
      ]),
    )
    .option('--max-turns <n>', 'stop after this many model turns', positiveInt)
    .option('--max-tokens <n>', 'stop after this many tokens in all', positiveInt)
    .option('--timeout <duration>', 'wall-clock limit for the run, e.g. 10m (default 30m)')
    .option('--output-schema <file>', 'a JSON Schema the final answer must match')
    .option('-o, --output-last-message <file>', 'also write the final answer to this file')
    .option('-i, --image <file>', 'attach an image to the task (repeatable)', collect, []);
}

/** Which model, and where its config lives: every command that runs the agent takes these. */
function addModelOptions(command: Command): Command {
  return command
    .option('-m, --model <name>', 'the model (or Azure deployment)')
    .addOption(new Option('--api <api>', 'wire format').choices(['responses', 'chat']))
    .addOption(
      new Option('--provider <name>', 'provider profile').choices([
        'openai',
        'azure',
        'gemini',
        'local',
      ]),
    )
    .option(
      '--base-url <url>',
      'the provider endpoint (default: OPENAI_BASE_URL or the provider default)',
    )
    .option('--config <file>', 'config file (default ~/.config/patchling/config.json)');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The process-bound CLI: real streams, real environment, Ctrl-C cancels the run. */
export function processIo(): CliIo {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new UserError('interrupted')));
  process.once('SIGTERM', () => controller.abort(new UserError('terminated')));
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    cwd: process.cwd(),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  };
}

// Run when executed directly (bin/patchling.js, or `tsx src/triggers/cli.ts` in tests).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
