import { z } from 'zod';
import { UserError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import {
  PROVIDER_NAMES,
  PROVIDER_PROFILES,
  type ProviderName,
  type ProviderProfile,
  type WireApi,
} from './provider-profiles.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

export interface ModelConfig {
  readonly profile: ProviderProfile;
  readonly api: WireApi;
  readonly model: string;
  readonly baseURL: string;
  /** Lives only in this process: never in a sandbox, a workspace or a log. */
  readonly apiKey: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A stream that sends nothing for this long is aborted and retried. */
  readonly idleTimeoutMs: number;
  /** Backstop for connecting and receiving headers. */
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly reasoningEffort?: ReasoningEffort;
}

/** What flags or a config file may set; anything unset falls back to the environment. */
export interface ModelSettings {
  readonly provider?: ProviderName;
  readonly api?: WireApi;
  readonly model?: string;
  readonly baseURL?: string;
  readonly apiKey?: string;
  readonly reasoningEffort?: ReasoningEffort;
  readonly idleTimeoutMs?: number;
  readonly rateLimitBudgetMs?: number;
  readonly contextWindow?: number;
}

const DEFAULT_BASE_URL: Record<ProviderName, string | undefined> = {
  openai: 'https://api.openai.com/v1',
  azure: undefined, // from AZURE_OPENAI_ENDPOINT
  gemini: 'https://generativelanguage.googleapis.com/v1beta/openai',
  local: 'http://127.0.0.1:11434/v1',
};

const DEFAULT_MODEL: Record<ProviderName, string | undefined> = {
  openai: 'gpt-5-codex',
  azure: undefined, // the deployment name is the user's
  gemini: 'gemini-2.5-pro',
  local: undefined,
};

/** Idle deadline: well under Codex's 5 minutes, long enough for a model thinking hard. */
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves the model configuration: settings (flags, config file) first, then the
 * environment, then the provider's defaults. OPENAI_API_KEY and OPENAI_BASE_URL work as
 * with OpenAI's own tools. Throws a UserError that names the setting to fix.
 */
export function resolveModelConfig(settings: ModelSettings, env: Env): ModelConfig {
  const baseURLSetting = settings.baseURL ?? nonEmpty(env.OPENAI_BASE_URL);
  const provider = parseChoice(
    'PATCHLING_PROVIDER',
    settings.provider ?? nonEmpty(env.PATCHLING_PROVIDER) ?? detectProvider(baseURLSetting, env),
    PROVIDER_NAMES,
  );
  const base = PROVIDER_PROFILES[provider];
  const contextWindow =
    settings.contextWindow ??
    parsePositiveInt('PATCHLING_CONTEXT_WINDOW', env.PATCHLING_CONTEXT_WINDOW);
  const profile: ProviderProfile = contextWindow ? { ...base, contextWindow } : base;

  const api = parseChoice(
    'PATCHLING_API',
    settings.api ?? nonEmpty(env.PATCHLING_API) ?? profile.apis[0] ?? 'chat',
    ['responses', 'chat'] as const,
  );

  const baseURL = baseURLSetting ?? defaultBaseURL(provider, env);
  const urlCheck = z.url({ protocol: /^https?$/ }).safeParse(baseURL);
  if (!urlCheck.success) {
    throw new UserError(
      `The base URL ${JSON.stringify(baseURL)} is not an http(s) URL (OPENAI_BASE_URL or --base-url).`,
    );
  }

  const model = settings.model ?? nonEmpty(env.PATCHLING_MODEL) ?? DEFAULT_MODEL[provider];
  if (!model) {
    throw new UserError(
      `No model is set for the ${provider} provider: pass --model or set PATCHLING_MODEL${provider === 'azure' ? ' (your deployment name)' : ''}.`,
    );
  }
  const apiKey = settings.apiKey ?? apiKeyFromEnv(provider, env);
  const effortText = settings.reasoningEffort ?? nonEmpty(env.PATCHLING_REASONING_EFFORT);
  const reasoningEffort = effortText
    ? parseChoice('PATCHLING_REASONING_EFFORT', effortText, [
        'minimal',
        'low',
        'medium',
        'high',
      ] as const)
    : defaultReasoningEffort(provider, model);

  return {
    profile,
    api,
    model,
    baseURL: baseURL.replace(/\/+$/, ''),
    apiKey,
    headers: {},
    idleTimeoutMs:
      settings.idleTimeoutMs ??
      parseDurationSetting('PATCHLING_STREAM_IDLE_TIMEOUT', env.PATCHLING_STREAM_IDLE_TIMEOUT) ??
      DEFAULT_IDLE_TIMEOUT_MS,
    requestTimeoutMs: 10 * 60_000,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      rateLimitBudgetMs:
        settings.rateLimitBudgetMs ??
        parseDurationSetting('PATCHLING_RATE_LIMIT_BUDGET', env.PATCHLING_RATE_LIMIT_BUDGET) ??
        DEFAULT_RETRY_POLICY.rateLimitBudgetMs,
    },
    ...(reasoningEffort ? { reasoningEffort } : {}),
  };
}

function detectProvider(baseURL: string | undefined, env: Env): ProviderName {
  if (baseURL) {
    const host = safeHost(baseURL);
    if (host.endsWith('generativelanguage.googleapis.com')) return 'gemini';
    if (host.endsWith('.openai.azure.com') || host.endsWith('.cognitiveservices.azure.com'))
      return 'azure';
    if (host === 'api.openai.com') return 'openai';
    return 'local';
  }
  if (nonEmpty(env.AZURE_OPENAI_ENDPOINT)) return 'azure';
  if (nonEmpty(env.GEMINI_API_KEY) && !nonEmpty(env.OPENAI_API_KEY)) return 'gemini';
  return 'openai';
}

function defaultBaseURL(provider: ProviderName, env: Env): string {
  if (provider === 'azure') {
    const endpoint = nonEmpty(env.AZURE_OPENAI_ENDPOINT);
    if (!endpoint) {
      throw new UserError(
        'The azure provider needs AZURE_OPENAI_ENDPOINT (https://RESOURCE.openai.azure.com) or OPENAI_BASE_URL.',
      );
    }
    return `${endpoint.replace(/\/+$/, '')}/openai/v1`;
  }
  return DEFAULT_BASE_URL[provider] as string;
}

function apiKeyFromEnv(provider: ProviderName, env: Env): string {
  const candidates: Record<ProviderName, string[]> = {
    openai: ['OPENAI_API_KEY'],
    azure: ['AZURE_OPENAI_API_KEY', 'OPENAI_API_KEY'],
    gemini: ['GEMINI_API_KEY', 'OPENAI_API_KEY'],
    local: ['OPENAI_API_KEY'],
  };
  for (const name of candidates[provider]) {
    const value = nonEmpty(env[name]);
    if (value) return value;
  }
  // Local servers (Ollama, vLLM) usually ignore the key, but the SDK needs a value.
  if (provider === 'local') return 'not-needed';
  throw new UserError(
    `No API key for the ${provider} provider: set ${candidates[provider].join(' or ')}.`,
  );
}

/** Reasoning models get a reasoning effort (and so encrypted reasoning items) by default. */
function defaultReasoningEffort(
  provider: ProviderName,
  model: string,
): ReasoningEffort | undefined {
  if (provider !== 'openai' && provider !== 'azure') return undefined;
  return /^(o\d|gpt-5|codex)/.test(model) ? 'medium' : undefined;
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UserError(
    `${name} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}.`,
  );
}

function parseDurationSetting(name: string, value: string | undefined): number | undefined {
  if (nonEmpty(value) === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new UserError(
      `${name} must be a duration such as 90s, 10m or 500ms; got ${JSON.stringify(value)}.`,
    );
  }
  return ms;
}

function parsePositiveInt(name: string, value: string | undefined): number | undefined {
  if (nonEmpty(value) === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UserError(`${name} must be a positive whole number; got ${JSON.stringify(value)}.`);
  }
  return n;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
