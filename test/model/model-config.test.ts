import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { resolveModelConfig } from '../../src/model/model-config.js';

describe('resolveModelConfig', () => {
  it('reads OPENAI_API_KEY and defaults to OpenAI over the Responses API', () => {
    const config = resolveModelConfig({}, { OPENAI_API_KEY: 'sk-1' });
    expect(config).toMatchObject({
      api: 'responses',
      baseURL: 'https://api.openai.com/v1',
      apiKey: 'sk-1',
      model: 'gpt-5-codex',
      reasoningEffort: 'medium',
      idleTimeoutMs: 90_000,
    });
    expect(config.profile.name).toBe('openai');
    expect(config.retry.rateLimitBudgetMs).toBe(600_000);
  });

  it('treats OPENAI_BASE_URL on localhost as a local server speaking Chat Completions', () => {
    const config = resolveModelConfig(
      {},
      { OPENAI_BASE_URL: 'http://localhost:8000/v1/', PATCHLING_MODEL: 'qwen3-coder' },
    );
    expect(config).toMatchObject({
      api: 'chat',
      baseURL: 'http://localhost:8000/v1',
      apiKey: 'not-needed',
      model: 'qwen3-coder',
    });
    expect(config.profile.name).toBe('local');
    expect(config.reasoningEffort).toBeUndefined();
  });

  it('builds the Azure v1 endpoint from AZURE_OPENAI_ENDPOINT', () => {
    const config = resolveModelConfig(
      { model: 'my-deployment' },
      { AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com/', AZURE_OPENAI_API_KEY: 'az-1' },
    );
    expect(config).toMatchObject({
      baseURL: 'https://acme.openai.azure.com/openai/v1',
      apiKey: 'az-1',
      api: 'responses',
    });
    expect(config.profile.name).toBe('azure');
  });

  it('uses GEMINI_API_KEY with the Gemini endpoint and Chat Completions', () => {
    const config = resolveModelConfig({}, { GEMINI_API_KEY: 'g-1' });
    expect(config).toMatchObject({
      api: 'chat',
      apiKey: 'g-1',
      baseURL: 'https://generativelanguage.googleapis.com/v1beta/openai',
    });
    expect(config.profile.name).toBe('gemini');
  });

  it('lets flags override the environment, and reads durations', () => {
    const config = resolveModelConfig(
      { model: 'gpt-5-mini', api: 'chat' },
      {
        OPENAI_API_KEY: 'sk-1',
        PATCHLING_MODEL: 'ignored',
        PATCHLING_STREAM_IDLE_TIMEOUT: '45s',
        PATCHLING_RATE_LIMIT_BUDGET: '2m',
        PATCHLING_CONTEXT_WINDOW: '128000',
      },
    );
    expect(config).toMatchObject({ model: 'gpt-5-mini', api: 'chat', idleTimeoutMs: 45_000 });
    expect(config.retry.rateLimitBudgetMs).toBe(120_000);
    expect(config.profile.contextWindow).toBe(128_000);
  });

  it.each([
    [{}, {}, /No API key for the openai provider: set OPENAI_API_KEY/],
    [
      {},
      { AZURE_OPENAI_ENDPOINT: 'https://a.openai.azure.com', AZURE_OPENAI_API_KEY: 'k' },
      /PATCHLING_MODEL \(your deployment name\)/,
    ],
    [
      {},
      { OPENAI_API_KEY: 'k', PATCHLING_API: 'graphql' },
      /PATCHLING_API must be one of responses, chat/,
    ],
    [
      {},
      { OPENAI_API_KEY: 'k', PATCHLING_STREAM_IDLE_TIMEOUT: 'soon' },
      /PATCHLING_STREAM_IDLE_TIMEOUT must be a duration/,
    ],
    [{}, { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'ftp://x' }, /not an http\(s\) URL/],
    [
      {},
      { OPENAI_API_KEY: 'k', PATCHLING_PROVIDER: 'anthropic' },
      /PATCHLING_PROVIDER must be one of openai, azure, gemini, local/,
    ],
  ])('names the setting to fix (%#)', (settings, env, message) => {
    expect(() => resolveModelConfig(settings, env)).toThrow(UserError);
    expect(() => resolveModelConfig(settings, env)).toThrow(message);
  });
});
