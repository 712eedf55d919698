/**
 * The GitHub App under test: `startAppServer` on loopback with a fresh state directory,
 * signed webhooks over real HTTP, and api.github.com played by nock, where every body
 * Patchling sends is checked against GitHub's published request schemas.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import nock from 'nock';
import { expect } from 'vitest';
import type { ModelConfig } from '../../src/model/model-config.js';
import type { JobStatus, StoredJob } from '../../src/queue/types.js';
import type { AppConfig } from '../../src/triggers/app-config.js';
import {
  startAppServer,
  type AppServer,
  type AppServerOptions,
} from '../../src/triggers/app-server.js';
import { expectValidGitHubRequest } from './github-schemas.js';
import { hostOf, pathOf, withBody } from './nock-request.js';
import { testModelConfig } from './test-model-config.js';

export const API = 'https://api.github.com';
export const WEBHOOK_SECRET = 'a-test-secret-of-16+chars';
export const WEBHOOK_PATH = '/api/github/webhooks';
export const APP_SLUG = 'patchling';

let privateKey: string | undefined;

/** A fresh RSA key (PKCS#1 PEM, as GitHub hands App keys out), made once per test file. */
export function appPrivateKey(): string {
  privateKey ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  return privateKey;
}

export function appConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    appId: 1,
    privateKey: appPrivateKey(),
    webhookSecret: WEBHOOK_SECRET,
    port: 0,
    host: '127.0.0.1',
    webhookPath: WEBHOOK_PATH,
    commandName: 'patchling',
    concurrency: 1,
    jobTimeoutMs: 60_000,
    maxTurns: 10,
    githubApiUrl: API,
    // Overridden by the tests that clone; anything else must never reach it.
    cloneBaseUrl: 'http://127.0.0.1:9',
    ...overrides,
  };
}

/** GitHub's X-Hub-Signature-256 for exactly these bytes. */
export function signWebhook(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface WebhookOptions {
  readonly deliveryId?: string;
  /** Replaces the correct signature; null sends none. */
  readonly signature?: string | null;
}

export interface WebhookResponse {
  readonly status: number;
  readonly text: string;
  readonly deliveryId: string;
  readonly elapsedMs: number;
}

export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'superseded'];

export interface AppHarness {
  readonly server: AppServer;
  readonly stateDir: string;
  /** Every entry the App logged, as it logged it. */
  readonly logs: Record<string, unknown>[];
  /** POSTs a webhook to the App as GitHub does: the raw JSON body, signed. */
  deliver(event: string, payload: unknown, options?: WebhookOptions): Promise<WebhookResponse>;
  /** Waits until at least `count` jobs exist and every job is in a final state. */
  settled(count?: number, timeoutMs?: number): Promise<StoredJob[]>;
  close(): Promise<void>;
}

export interface StartAppOptions {
  readonly config?: Partial<AppConfig>;
  readonly modelConfig?: ModelConfig;
  readonly startWorkers?: boolean;
  /** Test-sized queue timers (the Redis backend's lock and stalled check). */
  readonly queueTimings?: AppServerOptions['queueTimings'];
  /** Default: a fresh temp directory, removed by close(). */
  readonly stateDir?: string;
  /** The App's environment (PATCHLING_NETWORK_ALLOW...). Default: empty. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function startTestApp(options: StartAppOptions = {}): Promise<AppHarness> {
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await makeStateDir());
  const logs: Record<string, unknown>[] = [];
  const server = await startAppServer({
    config: appConfig(options.config),
    modelConfig: options.modelConfig ?? testModelConfig('http://127.0.0.1:9/v1', 'responses'),
    stateDir,
    env: options.env ?? {},
    log: (entry) => logs.push(entry),
    ...(options.startWorkers === undefined ? {} : { startWorkers: options.startWorkers }),
    ...(options.queueTimings === undefined ? {} : { queueTimings: options.queueTimings }),
  });
  const webhookUrl = `${server.url}${WEBHOOK_PATH}`;
  let closed = false;
  return {
    server,
    stateDir,
    logs,
    async deliver(event, payload, webhook = {}) {
      const body = JSON.stringify(payload);
      const deliveryId = webhook.deliveryId ?? randomUUID();
      const signature = webhook.signature === undefined ? signWebhook(body) : webhook.signature;
      const started = performance.now();
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/test',
          'x-github-event': event,
          'x-github-delivery': deliveryId,
          ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
        },
        body,
      });
      const text = await response.text();
      return {
        status: response.status,
        text,
        deliveryId,
        elapsedMs: performance.now() - started,
      };
    },
    async settled(count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await server.store.list({ limit: 1000 });
        if (jobs.length >= count && jobs.every((job) => FINAL_STATUSES.includes(job.status))) {
          return jobs;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `jobs did not settle in ${timeoutMs} ms: ${JSON.stringify(
              jobs.map((job) => ({ kind: job.kind, status: job.status, error: job.error })),
            )}\nlogs: ${JSON.stringify(logs)}`,
          );
        }
        await sleep(25);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export async function makeStateDir(): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-app-')));
}

/** One request api.github.com (nock) answered. */
export interface GitHubCall {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

type Params = Readonly<Record<string, string | number>>;
type Reply = readonly [number, nock.Body];

export interface GitHubMock {
  readonly scope: nock.Scope;
  /** Every request nock answered, in order. */
  readonly calls: GitHubCall[];
  /** Bodies that failed GitHub's request schema (answered 422, as GitHub would). */
  readonly invalid: string[];
  /** Requests to api.github.com that no interceptor took. */
  readonly unmatched: string[];
  /** The installation token the access_tokens endpoint hands out. */
  readonly installationToken: string;
  /** POST /app/installations/:id/access_tokens, as often as asked. */
  installationAuth(installationId: number): void;
  /** GET /app: the App's slug, so its bot is `${slug}[bot]`. */
  app(): void;
  /** `.github/patchling.yml` on the default branch: absent, or this text. */
  repoConfig(owner: string, repo: string, yaml?: string): void;
  /** A file at a ref (e.g. AGENTS.md on the base branch): absent, or this text. */
  repoFile(owner: string, repo: string, file: string, ref: string, text?: string): void;
  permission(owner: string, repo: string, login: string, permission: string): void;
  /**
   * A write, its body validated against GitHub's schema for `route` before `reply` runs
   * (an invalid body is answered 422, as GitHub would, and listed in `invalid`).
   */
  write(
    method: 'POST' | 'PATCH' | 'PUT',
    route: string,
    params: Params,
    reply: (body: Record<string, unknown>) => Reply,
    /** optional: not required to happen; times: how many such requests it answers (1). */
    options?: { readonly optional?: boolean; readonly times?: number },
  ): void;
  /**
   * What is on the pull request already, as GitHub lists it (one page each, oldest first):
   * GET .../pulls/{n}/reviews and GET .../pulls/{n}/comments. Default: nothing.
   */
  reviewHistory(
    owner: string,
    repo: string,
    pullNumber: number,
    history?: {
      readonly reviews?: readonly ListedReview[];
      readonly comments?: readonly ListedReviewComment[];
    },
  ): void;
  /**
   * POST .../pulls/{n}/reviews, `times` times, as GitHub behaves: each body is validated
   * against GitHub's schema (see `write`); a review with any comment `refuse` picks is
   * refused whole (422 "Line could not be resolved", without saying which comment), the
   * others are created with the next id (from `firstId`, default 80): PENDING without an
   * event, submitted with one.
   */
  reviews(
    owner: string,
    repo: string,
    pullNumber: number,
    options: {
      readonly times: number;
      readonly firstId?: number;
      /** Ids of the submitted reviews' comments; default 1001. */
      readonly firstCommentId?: number;
      readonly refuse?: (comment: ReviewCommentRequest) => boolean;
      /** Who the reviews are by; default `${APP_SLUG}[bot]`. */
      readonly login?: string;
    },
  ): ReviewsFake;
  /** GET .../pulls/{n}/reviews/{id}/comments (one page), from what `fake` created. */
  reviewComments(
    owner: string,
    repo: string,
    pullNumber: number,
    reviewId: number,
    fake: ReviewsFake,
  ): void;
  /** DELETE .../pulls/{n}/reviews/{id}, for a pending review only (a 422 otherwise, as GitHub). */
  deletePendingReview(
    owner: string,
    repo: string,
    pullNumber: number,
    reviewId: number,
    fake: ReviewsFake,
  ): void;
  /** Calls that change something on GitHub (not the token exchange). */
  writes(): GitHubCall[];
  /** Stops listening; call once per test. */
  stop(): void;
}

/** A test's GitHub: nock answers api.github.com, and only loopback is reachable otherwise. */
export function startGitHubMock(): GitHubMock {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  return mockGitHub();
}

/**
 * Ends a test's GitHub: the mock stops, nock is reset, and the test fails on any body
 * GitHub's schema refused, any request no mock took, and any mock left unused.
 */
export function expectGitHubMockSettled(github: GitHubMock): void {
  github.stop();
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(github.invalid).toEqual([]);
  expect(github.unmatched).toEqual([]);
  expect(pending).toEqual([]);
}

export function mockGitHub(): GitHubMock {
  const calls: GitHubCall[] = [];
  const invalid: string[] = [];
  const unmatched: string[] = [];
  const installationToken = `ghs_${randomBytes(18).toString('hex')}`;
  const record = (request: Request, _interceptor: unknown, body: string) => {
    calls.push({ method: request.method, path: pathOf(request), body: parseBody(body) });
  };
  const scope = nock(API).on('request', record);
  // The token exchange may happen any number of times (one client per installation, plus git).
  const tokenScope = nock(API).persist().on('request', record);
  const onNoMatch = (request: Request) => {
    if (hostOf(request).includes('api.github.com'))
      unmatched.push(`${request.method} ${pathOf(request)}`);
  };
  nock.emitter.on('no match', onNoMatch);

  const fill = (route: string, params: Params) =>
    route.replace(/\{(\w+)\}/g, (_match, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`no ${name} for ${route}`);
      return encodeURIComponent(String(value));
    });

  const register = (
    on: nock.Scope,
    method: 'POST' | 'PATCH' | 'PUT',
    route: string,
    params: Params,
    reply: (body: Record<string, unknown>) => Reply,
    optional = false,
    times = 1,
  ): void => {
    const interceptor = on.intercept(fill(route, params), method);
    if (times > 1) interceptor.times(times);
    if (optional) interceptor.optionally();
    interceptor.reply(
      withBody((body) => {
        try {
          expectValidGitHubRequest(method, route, body ?? {});
        } catch (error) {
          invalid.push(`${method} ${route}: ${(error as Error).message}`);
          return [422, { message: 'Validation Failed', status: '422' }];
        }
        return [...reply((body ?? {}) as Record<string, unknown>)];
      }),
    );
  };
  const write: GitHubMock['write'] = (method, route, params, reply, options = {}) =>
    register(scope, method, route, params, reply, options.optional, options.times);

  return {
    scope,
    calls,
    invalid,
    unmatched,
    installationToken,
    installationAuth(installationId) {
      const route = '/app/installations/{installation_id}/access_tokens';
      register(tokenScope, 'POST', route, { installation_id: installationId }, () => [
        201,
        {
          token: installationToken,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          permissions: {
            checks: 'write',
            contents: 'read',
            issues: 'write',
            metadata: 'read',
            pull_requests: 'write',
          },
          repository_selection: 'all',
        },
      ]);
    },
    app() {
      scope.get('/app').reply(200, {
        id: 1,
        slug: APP_SLUG,
        node_id: 'MDExOkludGVncmF0aW9uMQ==',
        owner: { login: 'octo-org', id: 2, type: 'Organization' },
        name: 'Patchling',
        description: 'A coding agent for CI',
        external_url: 'https://patchling.example',
        html_url: `https://github.com/apps/${APP_SLUG}`,
        created_at: '2025-01-01T00:00:00Z',
        updated_at: '2025-01-01T00:00:00Z',
        permissions: { checks: 'write', contents: 'read', issues: 'write' },
        events: ['pull_request', 'issue_comment'],
      });
    },
    repoConfig(owner, repo, yaml) {
      const route = `/repos/${owner}/${repo}/contents/.github%2Fpatchling.yml`;
      if (yaml === undefined) {
        scope.get(route).reply(404, {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content',
          status: '404',
        });
        return;
      }
      const content = Buffer.from(yaml, 'utf8');
      scope.get(route).reply(200, {
        type: 'file',
        encoding: 'base64',
        size: content.length,
        name: 'patchling.yml',
        path: '.github/patchling.yml',
        // GitHub wraps base64 at 60 characters.
        content: `${content.toString('base64').replace(/.{60}/g, '$&\n')}\n`,
        sha: '3d21ec53a331a6f037a91c368710b99387d012c1',
        url: `${API}/repos/${owner}/${repo}/contents/.github/patchling.yml?ref=main`,
        git_url: `${API}/repos/${owner}/${repo}/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1`,
        html_url: `https://github.com/${owner}/${repo}/blob/main/.github/patchling.yml`,
        download_url: `https://raw.githubusercontent.com/${owner}/${repo}/main/.github/patchling.yml`,
      });
    },
    repoFile(owner, repo, file, ref, text) {
      const route = `/repos/${owner}/${repo}/contents/${encodeURIComponent(file)}`;
      const interceptor = scope.get(route).query({ ref });
      if (text === undefined) {
        interceptor.reply(404, { message: 'Not Found', status: '404' });
        return;
      }
      const content = Buffer.from(text, 'utf8');
      interceptor.reply(200, {
        type: 'file',
        encoding: 'base64',
        size: content.length,
        name: file,
        path: file,
        content: content.toString('base64'),
        sha: '5e3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f',
        url: `${API}/repos/${owner}/${repo}/contents/${file}?ref=${ref}`,
        git_url: null,
        html_url: null,
        download_url: null,
      });
    },
    permission(owner, repo, login, permission) {
      scope.get(`/repos/${owner}/${repo}/collaborators/${login}/permission`).reply(200, {
        permission,
        role_name: permission,
        user: {
          login,
          id: 21031067,
          type: 'User',
          site_admin: false,
          permissions: {
            admin: permission === 'admin',
            maintain: permission === 'maintain' || permission === 'admin',
            push: ['write', 'maintain', 'admin'].includes(permission),
            triage: permission !== 'none' && permission !== 'read',
            pull: permission !== 'none',
          },
        },
      });
    },
    write,
    reviewHistory(owner, repo, pullNumber, history = {}) {
      const pulls = `/repos/${owner}/${repo}/pulls/${pullNumber}`;
      const page = { per_page: '100', page: '1' };
      scope
        .get(`${pulls}/reviews`)
        .query(page)
        .reply(200, [...(history.reviews ?? [])]);
      scope
        .get(`${pulls}/comments`)
        .query(page)
        .reply(200, [...(history.comments ?? [])]);
    },
    reviews(owner, repo, pullNumber, options) {
      const fake = createReviewsFake(owner, repo, pullNumber, options);
      const params = { owner, repo, pull_number: pullNumber };
      for (let i = 0; i < options.times; i += 1) {
        write('POST', CREATE_REVIEW_ROUTE, params, (body) => fake.create(body));
      }
      return fake;
    },
    reviewComments(owner, repo, pullNumber, reviewId, fake) {
      scope
        .get(`/repos/${owner}/${repo}/pulls/${pullNumber}/reviews/${reviewId}/comments`)
        .query({ per_page: '100', page: '1' })
        .reply(() => [200, fake.created.find((review) => review.id === reviewId)?.comments ?? []]);
    },
    deletePendingReview(owner, repo, pullNumber, reviewId, fake) {
      scope.delete(`/repos/${owner}/${repo}/pulls/${pullNumber}/reviews/${reviewId}`).reply(() => {
        const review = fake.created.find((candidate) => candidate.id === reviewId);
        if (review?.listed.state !== 'PENDING') {
          return [422, { message: 'Can not delete a non-pending pull request review' }];
        }
        review.deleted = true;
        return [200, review.listed];
      });
    },
    writes() {
      return calls.filter((call) => call.method !== 'GET' && !call.path.endsWith('/access_tokens'));
    },
    stop() {
      nock.emitter.removeListener('no match', onNoMatch);
    },
  };
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  if (body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

export const CREATE_REVIEW_ROUTE = '/repos/{owner}/{repo}/pulls/{pull_number}/reviews';

/** An account as GitHub shows it in a review or comment: `…[bot]` logins are bots. */
export function githubUser(login: string): { login: string; id: number; type: string } {
  return {
    login,
    id: login.endsWith('[bot]') ? 41898282 : 583231,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
  };
}

/** One inline comment of a create-review request. */
export interface ReviewCommentRequest {
  readonly path: string;
  readonly line?: number;
  readonly side?: string;
  readonly start_line?: number;
  readonly start_side?: string;
  readonly body: string;
}

/** A create-review request body. */
export interface ReviewRequest {
  readonly commit_id?: string;
  readonly event?: string;
  readonly body?: string;
  readonly comments?: readonly ReviewCommentRequest[];
}

/** A review as GET .../pulls/{n}/reviews lists it (the fields that matter). */
export interface ListedReview {
  readonly id: number;
  readonly node_id: string;
  readonly user: { login: string; id: number; type: string } | null;
  readonly body: string;
  readonly state: string;
  readonly html_url: string;
  readonly pull_request_url: string;
  readonly commit_id: string;
  readonly submitted_at?: string;
  readonly author_association: string;
}

/** A review comment as GET .../pulls/{n}/comments lists it (the fields that matter). */
export interface ListedReviewComment {
  readonly id: number;
  readonly node_id: string;
  readonly pull_request_review_id: number;
  readonly user: { login: string; id: number; type: string } | null;
  readonly body: string;
  readonly path: string;
  readonly line: number | null;
  readonly side: string;
  readonly start_line: number | null;
  readonly start_side: string | null;
  readonly commit_id: string;
  readonly html_url: string;
  readonly author_association: string;
  readonly in_reply_to_id?: number;
}

/** A review the fake created. */
export interface FakeReview {
  readonly id: number;
  readonly request: ReviewRequest;
  /** As GET .../pulls/{n}/reviews lists it. */
  readonly listed: ListedReview;
  /** Its inline comments as GitHub lists them (ids only once submitted). */
  readonly comments: readonly ListedReviewComment[];
  /** A pending review deleted with DELETE. */
  deleted: boolean;
}

export interface ReviewsFake {
  /** Every create-review body GitHub received, in order, refused ones included. */
  readonly requests: ReviewRequest[];
  /** The reviews created, pending (probes) and submitted, in order. */
  readonly created: FakeReview[];
  /** The submitted reviews. */
  submitted(): FakeReview[];
  /** Answers one create-review request. */
  create(body: Record<string, unknown>): readonly [number, nock.Body];
}

const REVIEW_STATES: Readonly<Record<string, string>> = {
  COMMENT: 'COMMENTED',
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
};

export function createReviewsFake(
  owner: string,
  repo: string,
  pullNumber: number,
  options: {
    readonly firstId?: number;
    readonly firstCommentId?: number;
    readonly refuse?: (comment: ReviewCommentRequest) => boolean;
    readonly login?: string;
  },
): ReviewsFake {
  const requests: ReviewRequest[] = [];
  const created: FakeReview[] = [];
  let nextId = options.firstId ?? 80;
  let nextCommentId = options.firstCommentId ?? 1001;
  const user = githubUser(options.login ?? `${APP_SLUG}[bot]`);
  const pullUrl = `https://github.com/${owner}/${repo}/pull/${pullNumber}`;
  return {
    requests,
    created,
    submitted: () => created.filter((review) => review.listed.state !== 'PENDING'),
    create(body) {
      const request = body as ReviewRequest;
      requests.push(request);
      const comments = request.comments ?? [];
      if (comments.some((comment) => options.refuse?.(comment) ?? false)) {
        return [
          422,
          {
            message: 'Unprocessable Entity',
            errors: ['Line could not be resolved'],
            documentation_url:
              'https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request',
            status: '422',
          },
        ];
      }
      const id = nextId++;
      const state = request.event === undefined ? 'PENDING' : (REVIEW_STATES[request.event] ?? '');
      const commitId = request.commit_id ?? '';
      const listed: ListedReview = {
        id,
        node_id: `PRR_kwDO${id}`,
        user,
        body: request.body ?? '',
        state,
        html_url: `${pullUrl}#pullrequestreview-${id}`,
        pull_request_url: `${API}/repos/${owner}/${repo}/pulls/${pullNumber}`,
        commit_id: commitId,
        ...(state === 'PENDING' ? {} : { submitted_at: new Date().toISOString() }),
        author_association: 'NONE',
      };
      const listedComments = comments.map((comment): ListedReviewComment => {
        const commentId = state === 'PENDING' ? 0 : nextCommentId++;
        return {
          id: commentId,
          node_id: `PRRC_kwDO${commentId}`,
          pull_request_review_id: id,
          user,
          body: comment.body,
          path: comment.path,
          line: comment.line ?? null,
          side: comment.side ?? 'RIGHT',
          start_line: comment.start_line ?? null,
          start_side: comment.start_side ?? null,
          commit_id: commitId,
          html_url: `${pullUrl}#discussion_r${commentId}`,
          author_association: 'NONE',
        };
      });
      created.push({ id, request, listed, comments: listedComments, deleted: false });
      return [200, listed];
    },
  };
}
