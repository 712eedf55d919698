import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { main } from '../../src/triggers/action.js';
import { expectValidGitHubRequest } from '../support/github-schemas.js';
import { headerOf, hostOf, pathOf, withBody } from '../support/nock-request.js';

// GitHub's examples: comment 492700400 on issue Codertocat/Hello-World#1.
export const OWNER = 'Codertocat';
export const REPO = 'Hello-World';
export const R = `/repos/${OWNER}/${REPO}`;
export const COMMENT_ID = 492700400;
export const API = 'https://api.github.com';
/** The workflow token: it must reach GitHub in the header and nowhere else. */
export const TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
/** The model key: masked first, never printed, never posted. */
export const MODEL_KEY = 'sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2';
export const CONFIG_PATH = `${R}/contents/${encodeURIComponent('.github/patchling.yml')}`;

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

export interface ActionRun {
  readonly code: number;
  /** What the Action printed (workflow commands and log lines). */
  readonly stdout: string;
  /** Anything written to the process's own stdout and stderr meanwhile. */
  readonly processOutput: string;
  /** The raw $GITHUB_OUTPUT file. */
  readonly outputFile: string;
  readonly outputs: Record<string, string>;
  readonly env: Record<string, string | undefined>;
  readonly tempDir: string;
}

const temps: string[] = [];
let sent: Sent[] = [];
let unmatched: string[] = [];
/** What GraphQL's `viewer` says the token is; null: GraphQL refuses the query. */
let viewerLogin: string | null = 'github-actions[bot]';

/** No network but loopback; every request GitHub answers is recorded; none may go unanswered. */
export function useGitHubMock(): {
  sent: () => readonly Sent[];
  /** The account GraphQL's `viewer` names for the token (default github-actions[bot]); null refuses. */
  tokenLogin: (login: string | null) => void;
} {
  // Fired for every request no interceptor takes, loopback (model, git servers) included.
  const onNoMatch = (request: Request) => {
    const host = hostOf(request);
    if (host.startsWith('127.0.0.1')) return;
    unmatched.push(`${request.method} ${host}${pathOf(request)}`);
  };
  beforeEach(() => {
    sent = [];
    unmatched = [];
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    nock.emitter.on('no match', onNoMatch);
    viewerLogin = 'github-actions[bot]';
    // Every run asks once which account its token is (resolveTokenLogin).
    nock(API)
      .post('/graphql', (body: { query?: unknown }) => String(body.query).includes('viewer'))
      .optionally()
      .times(Infinity)
      .reply(() =>
        viewerLogin === null
          ? [
              200,
              {
                data: null,
                errors: [{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }],
              },
            ]
          : [200, { data: { viewer: { login: viewerLogin } } }],
      );
  });
  afterEach(() => {
    nock.emitter.off('no match', onNoMatch);
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
    expect(unmatched).toEqual([]);
    expect(pending).toEqual([]);
  });
  return {
    sent: () => sent,
    tokenLogin: (login) => {
      viewerLogin = login;
    },
  };
}

/** A nock scope for the API that records what it answers and checks bodies against GitHub's schemas. */
export function github(): nock.Scope {
  const scope = nock(API);
  scope.on('request', (request: Request, _interceptor: unknown, body: string) => {
    sent.push({
      method: request.method,
      path: pathOf(request),
      body: body ? (JSON.parse(body) as unknown) : undefined,
      authorization: headerOf(request, 'authorization'),
    });
  });
  return scope;
}

/** The config read every event starts with: no .github/patchling.yml. */
export function noRepoConfig(scope: nock.Scope): nock.Scope {
  return scope.get(CONFIG_PATH).reply(404, { message: 'Not Found' });
}

/** Checks a comment body as GitHub's schema does, and answers like GitHub. */
export function acceptComment(scope: nock.Scope, issueNumber: number, id = 9001): nock.Scope {
  return scope.post(`${R}/issues/${issueNumber}/comments`).reply(
    201,
    withBody((body) => {
      expectValidGitHubRequest(
        'POST',
        '/repos/{owner}/{repo}/issues/{issue_number}/comments',
        body,
      );
      return {
        id,
        html_url: `https://github.com/${OWNER}/${REPO}/issues/${issueNumber}#issuecomment-${id}`,
      };
    }),
  );
}

/** Runs the Action's entry in-process, as the runner would, with the event saved to a file. */
export async function runAction(
  eventName: string,
  payload: unknown,
  options: {
    readonly inputs?: Readonly<Record<string, string | undefined>>;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<ActionRun> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'patchling-action-'));
  temps.push(tempDir);
  const eventPath = path.join(tempDir, 'event.json');
  const outputPath = path.join(tempDir, 'output');
  writeFileSync(eventPath, JSON.stringify(payload));
  writeFileSync(outputPath, '');
  const inputs: Record<string, string | undefined> = {
    'api-key': MODEL_KEY,
    'github-token': TOKEN,
    // The runner fills in action.yml's defaults.
    'command-name': 'patchling',
    'max-turns': '60',
    timeout: '30m',
    ...options.inputs,
  };
  const env: Record<string, string | undefined> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_REF: 'refs/heads/master',
    GITHUB_API_URL: API,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'patchling',
    RUNNER_TEMP: tempDir,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs)) {
    if (value !== undefined) env[`INPUT_${name.toUpperCase()}`] = value;
  }

  let stdout = '';
  let processOutput = '';
  const capture = (chunk: string | Uint8Array): boolean => {
    processOutput += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  let code: number;
  try {
    code = await main(env, {
      stdout: (text) => {
        stdout += text;
      },
      github: { retryAfterBaseMs: 1, writeIntervalMs: 0, retries: 0 },
      handleSignals: false,
    });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const outputFile = readFileSync(outputPath, 'utf8');
  return {
    code,
    stdout,
    processOutput,
    outputFile,
    outputs: parseOutputFile(outputFile),
    env,
    tempDir,
  };
}

/** Reads `name<<DELIMITER\nvalue\nDELIMITER\n` blocks; anything else in the file fails. */
export function parseOutputFile(text: string): Record<string, string> {
  const block = /^([A-Za-z0-9_-]+)<<(ghadelimiter_[0-9a-f-]{36})\n([\s\S]*?)\n\2\n/;
  const outputs: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const match = block.exec(rest);
    if (match === null) throw new Error(`not in the GITHUB_OUTPUT format: ${JSON.stringify(rest)}`);
    const [whole, name = '', , value = ''] = match;
    outputs[name] = value;
    rest = rest.slice(whole.length);
  }
  return outputs;
}

/** The key shows up once, in the mask command that opens the log, and nowhere else. */
export function expectKeyMasked(run: ActionRun): void {
  const lines = run.stdout.split('\n');
  expect(lines[0]).toBe(`::add-mask::${MODEL_KEY}`);
  expect(lines.slice(1).join('\n')).not.toContain(MODEL_KEY);
  expect(run.processOutput).not.toContain(MODEL_KEY);
  expect(run.outputFile).not.toContain(MODEL_KEY);
  expect(run.stdout).toContain(`::add-mask::${TOKEN}`);
  expect(lines.filter((line) => line.includes(TOKEN))).toEqual([`::add-mask::${TOKEN}`]);
}
