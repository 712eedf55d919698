import type { AgentTask } from '../agent/assemble-prompt.js';
import type { AgentEvent } from '../agent/events.js';
import type { FinalOutputSpec } from '../agent/final-output.js';
import type { AgentsInstructions } from '../agent/load-agents-md.js';
import type { Budgets } from '../agent/run-agent.js';
import { describeError } from '../errors.js';
import type { ModelConfig } from '../model/model-config.js';
import { ZERO_USAGE, type Usage } from '../model/types.js';
import { newRunId, prepareRunEnvironment } from './prepare-agent-run.js';
import { runJobAgent } from './run-job-agent.js';
import type { z } from 'zod';

export interface PassEnvironment {
  readonly workspace: string;
  readonly agents?: AgentsInstructions | undefined;
  readonly sandboxEnv: readonly string[];
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly extraSecrets?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

export type PassResult<T> =
  | { readonly ok: true; readonly runId: string; readonly usage: Usage; readonly output: T }
  | {
      readonly ok: false;
      readonly runId: string;
      readonly usage: Usage;
      readonly status: 'failed' | 'budget_exceeded';
      readonly message: string;
    };

/**
 * One read-only agent run whose final answer must match `schema`: a review batch, a scan's
 * threat model or hunt batch. Its own run id and run log, the read-only sandbox. A failure
 * ends this pass only and comes back as a result saying why; an abort is the caller's to
 * report, so it is thrown.
 */
export async function runStructuredPass<T>(
  environment: PassEnvironment,
  pass: {
    readonly prompt: string;
    readonly task: AgentTask;
    readonly output: FinalOutputSpec;
    readonly schema: z.ZodType<T>;
    readonly budgets: Budgets;
    readonly onEvent?: ((event: AgentEvent) => void) | undefined;
    /** What the answer should have been, for the failure message; default the spec's name. */
    readonly what?: string | undefined;
  },
  /** Runs the sandbox's creation; a caller running passes concurrently serialises it. */
  setUp: <R>(create: () => Promise<R>) => Promise<R> = (create) => create(),
): Promise<PassResult<T>> {
  const runId = newRunId(new Date());
  const run = await setUp(() =>
    prepareRunEnvironment({
      workspace: environment.workspace,
      policy: 'read-only',
      modelConfig: environment.modelConfig,
      stateDir: environment.stateDir,
      runId,
      env: environment.env,
      envAllowlist: environment.sandboxEnv,
      ...(environment.extraSecrets ? { extraSecrets: environment.extraSecrets } : {}),
      ...(environment.onWarning ? { onWarning: environment.onWarning } : {}),
    }),
  );
  try {
    const result = await runJobAgent(run, {
      runId,
      policy: 'read-only',
      jobPrompt: pass.prompt,
      task: pass.task,
      agents: environment.agents,
      modelConfig: environment.modelConfig,
      output: pass.output,
      budgets: pass.budgets,
      signal: environment.signal,
      onEvent: (event) => pass.onEvent?.(event),
    });
    if (result.status !== 'completed') {
      return {
        ok: false,
        runId,
        usage: result.usage,
        status: result.status === 'budget_exceeded' ? 'budget_exceeded' : 'failed',
        message: run.redactor.redact(result.message),
      };
    }
    const parsed = pass.schema.safeParse(result.output);
    if (!parsed.success) {
      return {
        ok: false,
        runId,
        usage: result.usage,
        status: 'failed',
        message: `the model did not answer with ${pass.what ?? pass.output.name}`,
      };
    }
    return { ok: true, runId, usage: result.usage, output: parsed.data };
  } catch (error) {
    if (environment.signal?.aborted) throw error;
    return {
      ok: false,
      runId,
      usage: ZERO_USAGE,
      status: 'failed',
      message: run.redactor.redact(describeError(error)),
    };
  } finally {
    run.log.close();
    await run.sandbox.close?.();
  }
}
