import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assemblePrompt } from '../../agent/assemble-prompt.js';
import type { AgentEvent, AgentEventSink } from '../../agent/events.js';
import { outputSpecFromJsonSchema, type FinalOutputSpec } from '../../agent/final-output.js';
import { resumeStateFromLog } from '../../agent/resume-run.js';
import { latestRunId, readRunLog, runLogPath, stateDir } from '../../agent/run-log.js';
import { runAgent, type AgentResult, type ResumePoint } from '../../agent/run-agent.js';
import { UserError } from '../../errors.js';
import { newRunId, prepareRunEnvironment, runSetupFor } from '../../jobs/prepare-agent-run.js';
import { resolveModelConfig } from '../../model/model-config.js';
import type { WireApi } from '../../model/provider-profiles.js';
import type { SandboxPolicy } from '../../sandbox/types.js';
import { imagesToRefs } from '../../agent/image-store.js';
import { loadPrompt } from '../../agent/load-prompt.js';
import { loadCliConfigFile } from './config-file.js';
import { loadTaskImages } from './load-task-images.js';
import { createProgressRenderer } from './render-progress.js';
import {
  findRepositoryRoot,
  modelSettings,
  resolveBudgets,
  type BudgetFlags,
  type ModelFlags,
} from './run-settings.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Read only when the prompt is `-`: nothing ever waits on a stdin that never closes. */
  readonly readStdin: () => Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stderrIsTTY: boolean;
  readonly signal?: AbortSignal;
}

export interface ExecFlags extends ModelFlags, BudgetFlags {
  readonly cd?: string;
  readonly json?: boolean;
  readonly sandbox?: SandboxPolicy;
  readonly outputSchema?: string;
  readonly outputLastMessage?: string;
  readonly image?: readonly string[];
  readonly config?: string;
}

export const EXIT = { done: 0, failed: 1, usage: 2, budget: 124 } as const;

/** `patchling exec PROMPT`: one task on the checkout in the working directory. */
export async function runExec(
  prompt: string | undefined,
  flags: ExecFlags,
  io: CliIo,
): Promise<number> {
  if (prompt === undefined || prompt.trim() === '') {
    throw new UserError('No prompt: pass it as an argument, or `-` to read it from stdin.');
  }
  const taskText = prompt === '-' ? await io.readStdin() : prompt;
  if (taskText.trim() === '') throw new UserError('The prompt read from stdin is empty.');

  const file = loadCliConfigFile(flags.config, io.env);
  const cwd = path.resolve(io.cwd, flags.cd ?? '.');
  if (!existsSync(cwd)) throw new UserError(`No such directory: ${cwd}`);
  const workspace = findRepositoryRoot(cwd);
  const policy = flags.sandbox ?? file.sandbox ?? 'workspace-write';
  const modelConfig = resolveModelConfig(modelSettings(flags, file, io.env), io.env);
  const budgets = resolveBudgets(flags, file);
  const output = flags.outputSchema ? await readOutputSchema(flags.outputSchema) : undefined;
  const { images, listed } = await loadTaskImages(flags.image ?? [], io, workspace);
  const moreImages =
    listed.length === 0
      ? ''
      : `\n\n${loadPrompt('more-images', { count: String(listed.length), paths: listed.map((p) => `- ${p}`).join('\n') })}`;

  const runId = newRunId(new Date());
  const run = await prepareRunEnvironment({
    workspace,
    policy,
    modelConfig,
    stateDir: stateDir(io.env),
    runId,
    env: io.env,
    onWarning: (message) => io.stderr(`warning: ${message}\n`),
  });
  const assembled = await assemblePrompt({
    workspace: run.sandbox.workspace,
    cwd,
    policy,
    task: { prompt: taskText + moreImages, images },
    now: new Date(),
  });
  const setup = runSetupFor({
    runId,
    prompt: assembled,
    workspace: run.sandbox.workspace,
    modelConfig,
    policy,
    ...(output ? { outputSchema: { name: output.name, schema: output.schema } } : {}),
  });

  try {
    const result = await runAgent({
      setup,
      model: run.model,
      tools: run.tools,
      toolContext: { workspace: run.sandbox.workspace, sandbox: run.sandbox },
      budgets,
      ...(output ? { output } : {}),
      onEvent: run.sink(display(flags, io, run.redactor.redact.bind(run.redactor))),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    return report(result, flags, io, run.redactor.redact.bind(run.redactor));
  } finally {
    run.log.close();
    await run.sandbox.close?.();
  }
}

/** `patchling exec resume RUN_ID | --last`: continue a run from its log. */
export async function runResume(
  runIdArg: string | undefined,
  flags: ExecFlags & { readonly last?: boolean },
  io: CliIo,
): Promise<number> {
  const dir = stateDir(io.env);
  const runId = runIdArg ?? (flags.last ? latestRunId(dir) : undefined);
  if (!runId)
    throw new UserError(
      flags.last ? `No runs in ${dir}.` : 'Name the run to resume, or pass --last.',
    );
  const state = resumeStateFromLog(readRunLog(runLogPath(dir, runId)));
  const { setup } = state;
  if (state.kind === 'finished') {
    io.stderr(`run ${runId} already finished: ${state.final.status}: ${state.final.message}\n`);
    if (state.final.finalMessage !== undefined && !flags.json)
      io.stdout(`${state.final.finalMessage}\n`);
    return exitCodeFor(state.final.status);
  }

  const file = loadCliConfigFile(flags.config, io.env);
  const modelConfig = resolveModelConfig(
    {
      ...modelSettings(flags, file, io.env),
      model: flags.model ?? setup.model,
      api: flags.api ?? (setup.api as WireApi),
    },
    io.env,
  );
  const output: FinalOutputSpec | undefined = setup.outputSchema
    ? await outputSpecFromJsonSchema(setup.outputSchema.name, setup.outputSchema.schema)
    : undefined;
  const run = await prepareRunEnvironment({
    workspace: setup.workspace,
    policy: setup.sandboxPolicy as SandboxPolicy,
    modelConfig,
    stateDir: dir,
    runId,
    env: io.env,
    onWarning: (message) => io.stderr(`warning: ${message}\n`),
  });
  try {
    const point: ResumePoint = state.point;
    const result = await runAgent({
      setup,
      model: run.model,
      tools: run.tools,
      toolContext: { workspace: run.sandbox.workspace, sandbox: run.sandbox },
      budgets: resolveBudgets(flags, file),
      ...(output ? { output } : {}),
      onEvent: run.sink(display(flags, io, run.redactor.redact.bind(run.redactor))),
      resume: point,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    return report(result, flags, io, run.redactor.redact.bind(run.redactor));
  } finally {
    run.log.close();
    await run.sandbox.close?.();
  }
}

/**
 * --json: every event as a line on stdout and nothing else there (images as references,
 * not base64); otherwise progress lines on stderr, on a terminal or in a CI log alike.
 */
function display(flags: ExecFlags, io: CliIo, redact: (text: string) => string): AgentEventSink {
  if (flags.json) {
    const replacer = imagesToRefs();
    return (event: AgentEvent) => io.stdout(`${redact(JSON.stringify(event, replacer))}\n`);
  }
  // report() prints why a run stopped as the last line, with what to do next.
  return createProgressRenderer((text) => io.stderr(redact(text)), undefined, {
    reasonPrintedAfter: true,
  });
}

function report(
  result: AgentResult,
  flags: ExecFlags,
  io: CliIo,
  redact: (text: string) => string,
): number {
  const answer =
    result.output !== undefined
      ? JSON.stringify(result.output, null, 2)
      : (result.finalMessage ?? '');
  if (flags.outputLastMessage && result.status === 'completed') {
    writeFileSync(flags.outputLastMessage, redact(answer) + '\n');
  }
  if (result.status === 'completed') {
    if (!flags.json) io.stdout(`${redact(answer)}\n`);
  } else {
    if (result.status === 'budget_exceeded') {
      // The budget that stopped the run, and the flag that raises it: such a run resumes.
      const resume = `patchling exec resume ${result.runId}`;
      const next =
        result.budget === 'max_turns'
          ? `raise the limit with --max-turns N; continue with \`${resume} --max-turns N\``
          : `resume with \`${resume}\``;
      io.stderr(`patchling: ${redact(result.message)} (run ${result.runId}; ${next})\n`);
    } else {
      // A failed run is finished (its log says so): `exec resume` would refuse it.
      io.stderr(`patchling: ${redact(result.message)} (run ${result.runId})\n`);
    }
    // An answer that failed --output-schema is still the model's work: keep it, marked,
    // out of stdout (which promises a matching answer).
    if (flags.outputSchema && result.finalMessage !== undefined) {
      const marked = `${UNMATCHED_ANSWER_MARK}\n${redact(result.finalMessage)}\n`;
      io.stderr(marked);
      if (flags.outputLastMessage) writeFileSync(flags.outputLastMessage, marked);
    }
  }
  return exitCodeFor(result.status);
}

/** The first line of a kept final answer that did not match --output-schema. */
export const UNMATCHED_ANSWER_MARK =
  '--- the final answer, which does NOT match the output schema ---';

function exitCodeFor(status: AgentResult['status']): number {
  return status === 'completed'
    ? EXIT.done
    : status === 'budget_exceeded'
      ? EXIT.budget
      : EXIT.failed;
}

async function readOutputSchema(file: string): Promise<FinalOutputSpec> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`Cannot read the output schema ${file}: ${(error as Error).message}`);
  }
  return outputSpecFromJsonSchema('final_answer', json);
}
