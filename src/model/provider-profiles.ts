/**
 * What each kind of endpoint accepts. Requests are checked against the profile before
 * they are sent (see check-request.ts), so a shape the provider would answer with a 400
 * fails here, with a message that says what to change.
 */
export type WireApi = 'responses' | 'chat';

export type ProviderName = 'openai' | 'azure' | 'gemini' | 'local';

export interface ProviderProfile {
  readonly name: ProviderName;
  /** Wire formats the endpoint speaks; the first is the default. */
  readonly apis: readonly WireApi[];
  /** json_schema with strict: true, for tools and structured output. */
  readonly strictSchemas: boolean;
  /** The parallel_tool_calls request field. */
  readonly parallelToolCalls: boolean;
  /** Image parts in user messages. */
  readonly images: boolean;
  /** Reasoning items returned and sent back (Responses API, encrypted content). */
  readonly reasoningItems: boolean;
  /** prompt_cache_key, which routes a run's turns to one cache. */
  readonly promptCacheKey: boolean;
  /** stream_options.include_usage on Chat Completions streams. */
  readonly streamUsage: boolean;
  /** The developer role (otherwise instructions go as a system message). */
  readonly developerRole: boolean;
  /** Tokens the model can attend to; the agent loop compacts before reaching it. */
  readonly contextWindow: number;
  /** Most functions one request may declare. */
  readonly maxTools: number;
  /**
   * Largest request body the endpoint takes, in bytes. Requests past it are refused
   * before sending (and shed by the agent loop), instead of meeting a 413 from a CDN.
   */
  readonly maxRequestBytes: number;
  /** Most images one request may carry. */
  readonly maxImages: number;
  /** Top-level request fields the endpoint answers with 400 ("Unknown name ... Cannot find field"). */
  readonly rejectedFields: readonly string[];
}

const openai: ProviderProfile = {
  name: 'openai',
  apis: ['responses', 'chat'],
  strictSchemas: true,
  parallelToolCalls: true,
  images: true,
  reasoningItems: true,
  promptCacheKey: true,
  streamUsage: true,
  developerRole: true,
  contextWindow: 272_000,
  maxTools: 128,
  // OpenAI: "up to 50 MB total payload per request" and at most 500 image inputs.
  maxRequestBytes: 50_000_000,
  maxImages: 500,
  rejectedFields: [],
};

/** Azure OpenAI's v1 API mirrors OpenAI's, Responses included. */
const azure: ProviderProfile = { ...openai, name: 'azure' };

/**
 * Gemini's OpenAI-compatible endpoint: Chat Completions only. It rejects fields OpenAI
 * accepts (parallel_tool_calls, prompt_cache_key, the developer role) with a 400.
 */
const gemini: ProviderProfile = {
  name: 'gemini',
  apis: ['chat'],
  strictSchemas: false,
  parallelToolCalls: false,
  images: true,
  reasoningItems: false,
  promptCacheKey: false,
  streamUsage: true,
  developerRole: false,
  contextWindow: 1_000_000,
  maxTools: 128,
  // Gemini takes inline data up to a 20 MB request; its image count limit is in the
  // thousands, so 500 (OpenAI's) is the binding, portable one.
  maxRequestBytes: 20_000_000,
  maxImages: 500,
  rejectedFields: ['store', 'parallel_tool_calls', 'prompt_cache_key', 'web_search_options'],
};

/**
 * A local OpenAI-compatible server (vLLM, Ollama, llama.cpp): assume the least, since
 * what it accepts depends on the server and the model it serves.
 */
const local: ProviderProfile = {
  name: 'local',
  apis: ['chat', 'responses'],
  strictSchemas: false,
  parallelToolCalls: false,
  images: false,
  reasoningItems: false,
  promptCacheKey: false,
  streamUsage: true,
  developerRole: false,
  contextWindow: 32_768,
  maxTools: 64,
  // Servers differ (llama-server has no body limit, proxies in front often take 10-32 MB);
  // text-only by default, so this mostly bounds a runaway history.
  maxRequestBytes: 32_000_000,
  maxImages: 100,
  rejectedFields: [],
};

export const PROVIDER_PROFILES: Readonly<Record<ProviderName, ProviderProfile>> = {
  openai,
  azure,
  gemini,
  local,
};

export const PROVIDER_NAMES = Object.keys(PROVIDER_PROFILES) as ProviderName[];
