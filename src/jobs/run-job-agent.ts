import { assemblePrompt, type AgentTask } from '../agent/assemble-prompt.js';
import type { AgentEvent } from '../agent/events.js';
import type { FinalOutputSpec } from '../agent/final-output.js';
import type { AgentsInstructions } from '../agent/load-agents-md.js';
import { runAgent, type AgentResult, type Budgets } from '../agent/run-agent.js';
import type { ModelConfig } from '../model/model-config.js';
import type { SandboxPolicy } from '../sandbox/types.js';
import { runSetupFor, type RunEnvironment } from './prepare-agent-run.js';

/**
 * One agent run of a job (a review batch, a fix) in an environment from
 * prepareRunEnvironment: the prompt assembled from the job's prompt and task, the run
 * logged, the final answer held to `output`. The checkout is the working directory.
 */
export async function runJobAgent(
  run: RunEnvironment,
  options: {
    readonly runId: string;
    readonly policy: SandboxPolicy;
    readonly jobPrompt: string;
    readonly task: AgentTask;
    /** Absent: AGENTS.md files are read from the checkout. */
    readonly agents?: AgentsInstructions | undefined;
    readonly modelConfig: ModelConfig;
    readonly output: FinalOutputSpec;
    readonly budgets: Budgets;
    readonly signal?: AbortSignal | undefined;
    readonly onEvent: (event: AgentEvent) => void;
  },
): Promise<AgentResult> {
  const { workspace } = run.sandbox;
  const assembled = await assemblePrompt({
    workspace,
    cwd: workspace,
    policy: options.policy,
    jobPrompt: options.jobPrompt,
    task: options.task,
    ...(options.agents ? { agents: options.agents } : {}),
    now: new Date(),
  });
  return runAgent({
    setup: runSetupFor({
      runId: options.runId,
      prompt: assembled,
      workspace,
      modelConfig: options.modelConfig,
      policy: options.policy,
      outputSchema: { name: options.output.name, schema: options.output.schema },
    }),
    model: run.model,
    tools: run.tools,
    toolContext: { workspace, sandbox: run.sandbox },
    budgets: options.budgets,
    output: options.output,
    onEvent: run.sink(options.onEvent),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
