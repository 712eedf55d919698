import nock from 'nock';
import { afterEach, beforeEach, expect } from 'vitest';
import {
  createGitHubClient,
  type GitHubClientOptions,
} from '../../src/github/create-github-client.js';
import type { GitHubRateLimitWait } from '../../src/github/throttle-options.js';
import { SecretRedactor } from '../../src/util/redact-secrets.js';
import { headerOf, pathOf } from '../support/nock-request.js';

export const API = 'https://api.github.com';
export const repo = { owner: 'octo-org', repo: 'hello-world' } as const;
/** The installation token: known to the redactor, and must still reach GitHub in the header. */
export const TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
/** A model API key that must never be posted. */
export const MODEL_KEY = 'sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2';
export const redactor = new SecretRedactor([TOKEN, MODEL_KEY]);

export const silentLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** No network; every mock must be used by the end of each test. */
export function useNock(): void {
  beforeEach(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending).toEqual([]);
  });
}

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | undefined;
  /** Date.now() when nock saw it. */
  readonly at: number;
}

/** A nock scope for api.github.com that records every request it answers, body parsed. */
export function githubApi(): { scope: nock.Scope; sent: Sent[] } {
  const sent: Sent[] = [];
  const scope = nock(API);
  scope.on('request', (request: Request, _interceptor: unknown, body: string) => {
    sent.push({
      method: request.method,
      path: pathOf(request),
      body: body ? (JSON.parse(body) as unknown) : undefined,
      authorization: headerOf(request, 'authorization'),
      at: Date.now(),
    });
  });
  return { scope, sent };
}

/** A client as production builds it, with waits a thousand times shorter and no write gap. */
export function testClient(
  overrides: Partial<GitHubClientOptions> = {},
): ReturnType<typeof createGitHubClient> & { waits: GitHubRateLimitWait[] } {
  const waits: GitHubRateLimitWait[] = [];
  const client = createGitHubClient({
    auth: TOKEN,
    redactor,
    throttle: {
      onRateLimit: (wait) => waits.push(wait),
      onSecondaryRateLimit: (wait) => waits.push(wait),
      writeIntervalMs: 0,
    },
    retryAfterBaseMs: 1,
    log: silentLog,
    ...overrides,
  });
  return Object.assign(client, { waits });
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2025, 0, 2, 3, 4, 5)) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}
