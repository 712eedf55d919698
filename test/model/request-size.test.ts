import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContextWindowExceeded, RequestTooLargeError } from '../../src/model/errors.js';
import { createModelClient } from '../../src/model/openai-model-client.js';
import { PROVIDER_PROFILES } from '../../src/model/provider-profiles.js';
import type { ModelRequest } from '../../src/model/types.js';
import {
  startScriptedModelServer,
  step,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testModelConfig } from '../support/test-model-config.js';

const request = (text: string): ModelRequest => ({
  instructions: 'You are a test.',
  input: [{ type: 'message', role: 'user', content: [{ type: 'text', text }] }],
  tools: [],
});

let server: ScriptedModelServer;
beforeEach(async () => {
  server = await startScriptedModelServer();
});
afterEach(() => server.close());

const CDN_413 =
  '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

describe.each(['responses', 'chat'] as const)('request size over %s', (api) => {
  const client = (overrides = {}) =>
    createModelClient(testModelConfig(server.baseURL, api, overrides));

  it('refuses before sending a body past the profile’s byte limit', async () => {
    const profile = { ...PROVIDER_PROFILES.openai, maxRequestBytes: 10_000 };
    const error = await client({ profile })
      .streamTurn(request('x'.repeat(20_000)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect((error as Error).message).toMatch(
      /request not sent: it is 0\.0 MB; openai accepts at most 0 MB/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('classifies a CDN’s 413 HTML page as too large, quoting its title, without retrying', async () => {
    server.push({ kind: 'status', status: 413, body: CDN_413 });
    const error = await client()
      .streamTurn(request('hello'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect((error as Error).message).toBe(
      'the request is too large for openai (413): 413 Request Entity Too Large',
    );
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    'Too many images in request. Max is 500.',
    'Request payload size exceeds the limit: 20971520 bytes.',
    'Image too large: the image exceeds the maximum size of 20MB.',
  ])('classifies a 400 "%s" as too large', async (message) => {
    server.push(step.badRequest(message));
    const error = await client()
      .streamTurn(request('hello'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
  });

  it('still classifies a context-length 400 as a context error, not a size error', async () => {
    server.push(step.contextLengthExceeded());
    const error = await client()
      .streamTurn(request('hello'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextWindowExceeded);
  });
});
