import type { ModelConfig } from '../../src/model/model-config.js';
import {
  PROVIDER_PROFILES,
  type ProviderName,
  type WireApi,
} from '../../src/model/provider-profiles.js';

/** A model config pointed at a scripted server, with retry waits shrunk to test size. */
export function testModelConfig(
  baseURL: string,
  api: WireApi,
  overrides: Partial<ModelConfig> & { provider?: ProviderName } = {},
): ModelConfig {
  const { provider = 'openai', ...rest } = overrides;
  return {
    profile: PROVIDER_PROFILES[provider],
    api,
    model: 'test-model',
    baseURL,
    apiKey: 'sk-test-not-a-real-key',
    headers: {},
    idleTimeoutMs: 2000,
    requestTimeoutMs: 10_000,
    retry: { maxTransientRetries: 3, rateLimitBudgetMs: 2000, baseDelayMs: 10, maxDelayMs: 40 },
    ...rest,
  };
}
