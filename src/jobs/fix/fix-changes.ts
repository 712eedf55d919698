import type { AgentEvent } from '../../agent/events.js';
import type { AgentsInstructions } from '../../agent/load-agents-md.js';
import { loadPrompt } from '../../agent/load-prompt.js';
import type { Budgets } from '../../agent/run-agent.js';
import type { UntrustedText } from '../../agent/untrusted.js';
import type { AllowEntry } from '../../egress/allowlist.js';
import type { ModelConfig } from '../../model/model-config.js';
import { ZERO_USAGE, type ImageContent, type Usage } from '../../model/types.js';
import { createSandbox } from '../../sandbox/create-sandbox.js';
import type { CommandResult } from '../../sandbox/types.js';
import type { ChangedFile } from '../../workspace/git/changed-files.js';
import { newRunId, prepareRunEnvironment } from '../prepare-agent-run.js';
import { runJobAgent } from '../run-job-agent.js';
import type { RepoConfig } from '../repo-config.js';
import { makeScratchCopy } from '../review/scratch-copy.js';
import { checkFixChanges } from './check-fix-changes.js';
import { detectTestCommand } from './detect-test-command.js';
import { FixOutput, fixOutputSpec } from './fix-output.js';

/** Per run of the test command. */
export const DEFAULT_TEST_TIMEOUT_MS = 10 * 60_000;
/** How much of the last test output is kept for the report. */
const TEST_TAIL_LINES = 60;
const TEST_TAIL_CHARS = 6_000;

export type FixSettings = RepoConfig['fix'];

export interface FixChangesOptions {
  /** The checkout to change (a real path); `base` is its commit before the fix. */
  readonly workspace: string;
  readonly base: string;
  /** What to fix, in one or two sentences the task starts with. */
  readonly subject: string;
  /** The title, body and comments, and the requester's instructions: data only. */
  readonly untrusted: readonly UntrustedText[];
  readonly images?: readonly ImageContent[];
  /** AGENTS.md to follow; absent: read from the checkout. */
  readonly agents?: AgentsInstructions;
  readonly settings: FixSettings;
  readonly sandboxEnv: readonly string[];
  /** The agent phase's network: absent, none; else through the egress proxy to these hosts. */
  readonly agentNetwork?: readonly AllowEntry[];
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values that must never be published (the push token among them). */
  readonly secrets: readonly string[];
  readonly budgets: Budgets;
  /** Guards that matter only for publishing (workflows) can be relaxed locally. */
  readonly allowWorkflowChanges?: boolean;
  readonly testTimeoutMs?: number;
  /** The user's global excludes (CLI): see GitContext.excludesFile. */
  readonly excludesFile?: string;
  readonly scratchParent?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: AgentEvent) => void;
  readonly onStage?: (stage: 'agent' | 'tests' | 'checks') => void;
  readonly onWarning?: (message: string) => void;
}

export interface TestRun {
  readonly command: string;
  /** Where the command came from: the config, or a file it was detected from. */
  readonly source: string;
  readonly passed: boolean;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The last lines of the output, redacted. */
  readonly outputTail: string;
}

/**
 * ready: publishable. no_change: the agent changed nothing. tests_failed: the tests
 * Patchling ran after the agent did not pass. rejected: a guard refused the change.
 * failed / budget_exceeded: the run itself did not finish.
 */
export type FixStatus =
  'ready' | 'no_change' | 'tests_failed' | 'rejected' | 'failed' | 'budget_exceeded';

export interface FixChangesResult {
  readonly status: FixStatus;
  /** One or two sentences: what happened. */
  readonly message: string;
  /** The agent's report, when it gave one. */
  readonly report?: FixOutput;
  /** Patchling's own run of the tests; absent when no command is known or it never ran. */
  readonly test?: TestRun;
  readonly files: readonly ChangedFile[];
  /** Why a guard refused the change. */
  readonly problems: readonly string[];
  readonly runId: string;
  readonly usage: Usage;
}

/**
 * A fix, wherever it runs: the agent works in the workspace-write sandbox with the
 * issue as data; then Patchling, not the agent, runs the tests on a copy of the result
 * and checks the change before anyone publishes it. Nothing is committed here.
 */
export async function fixChanges(options: FixChangesOptions): Promise<FixChangesResult> {
  const configured = options.settings.test_command;
  const detected =
    configured !== undefined
      ? { command: configured, source: 'fix.test_command' }
      : await detectTestCommand(options.workspace);
  const output = fixOutputSpec();
  const runId = newRunId(new Date());
  const run = await prepareRunEnvironment({
    workspace: options.workspace,
    policy: 'workspace-write',
    modelConfig: options.modelConfig,
    stateDir: options.stateDir,
    runId,
    env: options.env,
    envAllowlist: options.sandboxEnv,
    ...(options.agentNetwork ? { network: options.agentNetwork } : {}),
    extraSecrets: options.secrets,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const redact = (text: string) => run.redactor.redact(text);
  let usage: Usage = ZERO_USAGE;
  let report: FixOutput | undefined;
  try {
    options.onStage?.('agent');
    const result = await runJobAgent(run, {
      runId,
      policy: 'workspace-write',
      jobPrompt: loadPrompt('fix'),
      task: {
        prompt: taskText(options, detected),
        untrusted: options.untrusted,
        ...(options.images ? { images: options.images } : {}),
      },
      agents: options.agents,
      modelConfig: options.modelConfig,
      output,
      budgets: options.budgets,
      signal: options.signal,
      onEvent: (event) => options.onEvent?.(event),
    });
    usage = result.usage;
    if (result.status !== 'completed') {
      return finish(result.status, redact(result.message));
    }
    // The report goes into a pull request: whatever the model wrote, secrets stay out.
    const parsed = FixOutput.safeParse(
      result.output === undefined ? undefined : JSON.parse(redact(JSON.stringify(result.output))),
    );
    report = parsed.success ? parsed.data : undefined;
  } finally {
    run.log.close();
    await run.sandbox.close?.();
  }

  options.onStage?.('checks');
  const check = await checkFixChanges(
    options.workspace,
    options.base,
    {
      allowWorkflowChanges: options.allowWorkflowChanges ?? options.settings.allow_workflow_changes,
      maxChangedFiles: options.settings.max_changed_files,
      secrets: [...options.secrets, options.modelConfig.apiKey],
      excludesFile: options.excludesFile,
    },
    options.signal,
  );
  if (!check.ok && check.empty) {
    return finish('no_change', 'The agent changed nothing.', { files: check.files });
  }
  if (!check.ok) {
    return finish('rejected', `The change was not published: ${check.problems.join('; ')}.`, {
      files: check.files,
      problems: check.problems,
    });
  }
  if (detected === undefined) {
    return finish('ready', 'Changed the code; no test command is configured or detected.', {
      files: check.files,
    });
  }
  options.onStage?.('tests');
  const test = await runTests(options, detected, redact);
  return test.passed
    ? finish('ready', `Changed the code, and \`${test.command}\` passes.`, {
        files: check.files,
        test,
      })
    : finish('tests_failed', `The tests still fail: \`${test.command}\` ${describeExit(test)}.`, {
        files: check.files,
        test,
      });

  function finish(
    status: FixStatus,
    message: string,
    extra: { files?: readonly ChangedFile[]; problems?: readonly string[]; test?: TestRun } = {},
  ): FixChangesResult {
    return {
      status,
      message,
      ...(report ? { report } : {}),
      ...(extra.test ? { test: extra.test } : {}),
      files: extra.files ?? [],
      problems: extra.problems ?? [],
      runId,
      usage,
    };
  }
}

/** The tests, run by Patchling on a copy of the changed workspace: what they write is thrown away. */
async function runTests(
  options: FixChangesOptions,
  detected: { command: string; source: string },
  redact: (text: string) => string,
): Promise<TestRun> {
  const scratch = await makeScratchCopy(options.workspace, options.scratchParent);
  try {
    const sandbox = await createSandbox({
      workspace: scratch.dir,
      policy: 'workspace-write',
      envAllowlist: options.sandboxEnv,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    let result: CommandResult;
    try {
      result = await sandbox.run({
        argv: ['bash', '-c', detected.command],
        cwd: sandbox.workspace,
        timeoutMs: options.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } finally {
      await sandbox.close?.();
    }
    options.signal?.throwIfAborted();
    return {
      command: detected.command,
      source: detected.source,
      passed: result.exitCode === 0 && !result.timedOut,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      outputTail: redact(tail(result.output)),
    };
  } finally {
    await scratch.remove();
  }
}

function taskText(
  options: FixChangesOptions,
  detected: { command: string; source: string } | undefined,
): string {
  const parts = [options.subject];
  parts.push(
    detected === undefined
      ? 'No test command is configured or detected for this repository: check your change as well as you can.'
      : `The repository's tests run with \`${detected.command}\` (from ${detected.source}). Run them before you finish.`,
  );
  if (options.settings.instructions) {
    parts.push(`The repository's instructions for fixes:\n${options.settings.instructions}`);
  }
  parts.push('Answer with your report as JSON matching the output schema.');
  return parts.join('\n\n');
}

function describeExit(test: TestRun): string {
  if (test.timedOut) return 'timed out';
  return test.exitCode === null ? 'was killed' : `exits with ${test.exitCode}`;
}

function tail(output: string): string {
  // Blank lines around the output (npm opens with one) say nothing.
  const lines = output
    .trimEnd()
    .split('\n')
    .slice(-TEST_TAIL_LINES)
    .join('\n')
    .replace(/^(?:[ \t]*\n)+/, '');
  return lines.length > TEST_TAIL_CHARS ? `…${lines.slice(-TEST_TAIL_CHARS)}` : lines;
}
