import { UserError } from '../../errors.js';
import { SECRET_ENV_NAMES } from '../../jobs/prepare-agent-run.js';
import { resolveModelConfig, type ModelConfig } from '../../model/model-config.js';
import { PROVIDER_NAMES, type WireApi } from '../../model/provider-profiles.js';
import { parseDuration } from '../../util/duration.js';
import { inputVariable, readInput } from './runner.js';

/** Every input the entry reads; action.yml declares exactly these (a test checks). */
export const ACTION_INPUTS = [
  'api-key',
  'model',
  'provider',
  'api',
  'base-url',
  'github-token',
  'command-name',
  'max-turns',
  'timeout',
] as const;

/** Every output the entry writes; action.yml declares exactly these. */
export const ACTION_OUTPUTS = ['status', 'job', 'summary', 'run-id'] as const;

export type ActionInputName = (typeof ACTION_INPUTS)[number];
export type ActionOutputName = (typeof ACTION_OUTPUTS)[number];

export interface ActionInputs {
  readonly modelConfig: ModelConfig;
  readonly githubToken: string;
  readonly commandName: string;
  readonly maxTurns: number;
  readonly timeoutMs: number;
}

export const DEFAULT_MAX_TURNS = 60;
export const DEFAULT_TIMEOUT = '30m';
const DEFAULT_COMMAND_NAME = 'patchling';
const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/;

type Env = Readonly<Record<string, string | undefined>>;

/** Inputs are read only through this, so none can be read that action.yml does not declare. */
function input(env: Env, name: ActionInputName): string | undefined {
  return readInput(env, name);
}

/** The secret values among the inputs, to mask before anything else is printed. */
export function secretInputs(env: Env): string[] {
  return (['api-key', 'github-token'] as const).flatMap((name) => input(env, name) ?? []);
}

/**
 * Deletes the secret inputs and the provider key variables from `env` (process.env in the
 * Action), once read, so no child process inherits them. The sandbox and git rebuild their
 * environments from allowlists anyway; this covers everything else.
 */
export function scrubSecretEnv(env: Record<string, string | undefined>): void {
  const secretInputNames: readonly ActionInputName[] = ['api-key', 'github-token'];
  for (const name of [...secretInputNames.map(inputVariable), ...SECRET_ENV_NAMES])
    delete env[name];
}

/**
 * The Action's inputs, checked, with the model configuration resolved. The key comes from
 * the `api-key` input only: provider key variables in the workflow's environment are
 * ignored. Other PATCHLING_* variables (reasoning effort, stream idle timeout, ...) and
 * AZURE_OPENAI_ENDPOINT still apply, as in the CLI. Throws a UserError naming the input.
 */
export function readActionInputs(env: Env): ActionInputs {
  const githubToken = input(env, 'github-token') ?? env.GITHUB_TOKEN?.trim();
  if (!githubToken) {
    throw new UserError(
      'The github-token input is empty: leave it unset to use the workflow token, or pass one.',
    );
  }
  const commandName = input(env, 'command-name') ?? DEFAULT_COMMAND_NAME;
  if (!COMMAND_NAME.test(commandName)) {
    throw new UserError(
      `The command-name input must be a plain word such as "patchling"; got ${JSON.stringify(commandName)}.`,
    );
  }
  const maxTurnsText = input(env, 'max-turns');
  const maxTurns = maxTurnsText === undefined ? DEFAULT_MAX_TURNS : Number(maxTurnsText);
  if (!Number.isInteger(maxTurns) || maxTurns <= 0) {
    throw new UserError(
      `The max-turns input must be a positive whole number; got ${JSON.stringify(maxTurnsText)}.`,
    );
  }
  const timeoutText = input(env, 'timeout') ?? DEFAULT_TIMEOUT;
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UserError(
      `The timeout input must be a duration such as 30m, 90s or 1h; got ${JSON.stringify(timeoutText)}.`,
    );
  }
  return {
    modelConfig: resolveActionModel(env),
    githubToken,
    commandName,
    maxTurns,
    timeoutMs,
  };
}

function resolveActionModel(env: Env): ModelConfig {
  const provider = choice(env, 'provider', PROVIDER_NAMES);
  const api = choice(env, 'api', ['responses', 'chat'] as const satisfies readonly WireApi[]);
  const model = input(env, 'model');
  const baseURL = input(env, 'base-url');
  const apiKey = input(env, 'api-key');
  // Keys come from the input alone; neither it nor the key variables reach the resolver's env.
  const modelEnv: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('INPUT_') && !(SECRET_ENV_NAMES as readonly string[]).includes(name))
      modelEnv[name] = value;
  }
  if (provider === 'azure' && baseURL === undefined && !modelEnv.AZURE_OPENAI_ENDPOINT?.trim()) {
    throw new UserError(
      'The azure provider needs the base-url input (https://RESOURCE.openai.azure.com/openai/v1) or AZURE_OPENAI_ENDPOINT in the environment.',
    );
  }
  if (provider === 'azure' && model === undefined && !modelEnv.PATCHLING_MODEL?.trim()) {
    throw new UserError('The azure provider needs the model input: your deployment name.');
  }
  const config = resolveModelConfig(
    {
      ...(provider ? { provider } : {}),
      ...(api ? { api } : {}),
      ...(model ? { model } : {}),
      ...(baseURL ? { baseURL } : {}),
      // Local servers need no key; for the others its absence is reported below.
      apiKey: apiKey ?? 'not-needed',
    },
    modelEnv,
  );
  if (apiKey === undefined && config.profile.name !== 'local') {
    throw new UserError(
      `The api-key input is empty: pass your ${config.profile.name} key, e.g. \`api-key: \${{ secrets.OPENAI_API_KEY }}\`. Workflows run for pull requests from forks get no secrets.`,
    );
  }
  return config;
}

function choice<T extends string>(
  env: Env,
  name: ActionInputName,
  choices: readonly T[],
): T | undefined {
  const value = input(env, name);
  if (value === undefined) return undefined;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UserError(
    `The ${name} input must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}.`,
  );
}
