import { randomBytes } from 'node:crypto';
import type { AgentEventSink, RunSetup } from '../agent/events.js';
import { RunLogWriter, runLogPath } from '../agent/run-log.js';
import type { ModelConfig } from '../model/model-config.js';
import { createModelClient } from '../model/openai-model-client.js';
import type { ModelClient } from '../model/types.js';
import type { AllowEntry } from '../egress/allowlist.js';
import { startEgressProxy } from '../egress/egress-proxy.js';
import { reportEgressRefusals } from '../egress/report-egress-refusals.js';
import type { WorkspaceMount } from '../sandbox/bubblewrap-args.js';
import { createSandbox } from '../sandbox/create-sandbox.js';
import type { Sandbox, SandboxPolicy } from '../sandbox/types.js';
import { createDefaultTools } from '../tools/default-tools.js';
import { createToolRegistry, type ToolRegistry } from '../tools/registry.js';
import { SecretRedactor } from '../util/redact-secrets.js';
import { UserError } from '../errors.js';
import { findStoredCredentials } from '../workspace/find-stored-credentials.js';

/** Names of environment variables whose values are secrets wherever they appear. */
export const SECRET_ENV_NAMES = [
  'OPENAI_API_KEY',
  'AZURE_OPENAI_API_KEY',
  'GEMINI_API_KEY',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'PATCHLING_GITHUB_TOKEN',
  'WEBHOOK_SECRET',
  'PRIVATE_KEY',
] as const;

/** The secret values of an environment (SECRET_ENV_NAMES), set ones only. */
export function secretsOfEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return SECRET_ENV_NAMES.map((name) => env[name]).filter((value): value is string =>
    Boolean(value),
  );
}

export interface RunEnvironment {
  readonly model: ModelClient;
  readonly sandbox: Sandbox;
  readonly tools: ToolRegistry;
  readonly redactor: SecretRedactor;
  readonly log: RunLogWriter;
  /** Writes each event to the run log, then hands it on. */
  readonly sink: (next: AgentEventSink) => AgentEventSink;
}

/**
 * Everything a run needs around the loop: the model client, the sandbox, the tools, and
 * the redacted run log in the state directory. Shared by exec, review and fix.
 */
export async function prepareRunEnvironment(options: {
  readonly workspace: string;
  readonly policy: SandboxPolicy;
  readonly modelConfig: ModelConfig;
  readonly stateDir: string;
  readonly runId: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly extraSecrets?: readonly string[];
  readonly envAllowlist?: readonly string[];
  /**
   * The agent's network: absent, none; else these hosts through the egress proxy, each
   * refusal told to the model as a denied approval. Closing the sandbox stops the proxy.
   */
  readonly network?: readonly AllowEntry[];
  readonly onWarning?: (message: string) => void;
  /** Read-only directories shown inside the workspace (a scratch copy's shared dependencies). */
  readonly workspaceMounts?: readonly WorkspaceMount[];
}): Promise<RunEnvironment> {
  const stored = await findStoredCredentials(options.workspace);
  if (stored) {
    const fix =
      stored.kind === 'http extraheader'
        ? `\`git config --unset-all ${stored.key}\``
        : `\`git config ${stored.key} URL\` with a URL without the password`;
    throw new UserError(
      `The checkout keeps credentials in its git config: ${stored.key} (${stored.kind}, ${stored.where}), where the model could read them. ` +
        `Remove them first: with actions/checkout, set \`persist-credentials: false\`; otherwise ${fix}.`,
    );
  }
  const proxy =
    options.network === undefined ? undefined : await startEgressProxy({ allow: options.network });
  let sandbox: Sandbox;
  try {
    sandbox = await createSandbox({
      workspace: options.workspace,
      policy: options.policy,
      ...(options.envAllowlist ? { envAllowlist: options.envAllowlist } : {}),
      // The sandbox's own loopback stays direct: a test suite's local server must work.
      ...(proxy
        ? { egress: { socketPath: proxy.socketPath, noProxy: ['localhost', '127.0.0.1', '::1'] } }
        : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.workspaceMounts?.length ? { workspaceMounts: options.workspaceMounts } : {}),
    });
  } catch (error) {
    await proxy?.close();
    throw error;
  }
  if (proxy) sandbox = reportEgressRefusals(sandbox, proxy);
  const model = createModelClient(options.modelConfig);
  const tools = createToolRegistry(
    createDefaultTools({ images: options.modelConfig.profile.images }),
  );
  const redactor = new SecretRedactor([
    options.modelConfig.apiKey,
    ...secretsOfEnv(options.env),
    ...(options.extraSecrets ?? []),
  ]);
  const log = new RunLogWriter(runLogPath(options.stateDir, options.runId), redactor);
  return {
    model,
    sandbox,
    tools,
    redactor,
    log,
    sink: (next) => (event) => {
      log.write(event);
      next(event);
    },
  };
}

/** What a run starts from, as logged: enough for `exec resume` to continue it. */
export function runSetupFor(options: {
  readonly runId: string;
  readonly prompt: {
    readonly instructions: string;
    readonly initialItems: RunSetup['initialItems'];
  };
  readonly workspace: string;
  readonly modelConfig: ModelConfig;
  readonly policy: SandboxPolicy;
  readonly outputSchema?: RunSetup['outputSchema'];
}): RunSetup {
  return {
    runId: options.runId,
    instructions: options.prompt.instructions,
    initialItems: options.prompt.initialItems,
    workspace: options.workspace,
    model: options.modelConfig.model,
    provider: options.modelConfig.profile.name,
    api: options.modelConfig.api,
    sandboxPolicy: options.policy,
    ...(options.outputSchema ? { outputSchema: options.outputSchema } : {}),
  };
}

/** A sortable, unique run id: 20261120T233000Z-3f9a1c. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export type { RunSetup };
