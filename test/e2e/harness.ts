import { mkdtemp, readFile, readdir, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeGitRepo, SUM_REPO_FILES, type TempGitRepo } from '../support/git-repo.js';
import {
  startScriptedModelServer,
  type RecordedRequest,
  type ScriptStep,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { cliEnv, runCli, testApiKey, type CliOptions, type CliResult } from '../support/run-cli.js';

/** One CLI scenario: a scripted model, a real repository, a private state dir. */
export interface Scenario {
  readonly server: ScriptedModelServer;
  readonly repo: TempGitRepo;
  readonly stateDir: string;
  readonly apiKey: string;
  readonly env: Record<string, string | undefined>;
  /** Runs `patchling <args>` in the repository with the scenario's environment. */
  run(
    args: readonly string[],
    options?: Partial<CliOptions> & { readonly timeoutMs?: number },
  ): Promise<CliResult>;
  /** Names (without .jsonl) of the run logs in the state dir. */
  runIds(): Promise<string[]>;
  /** The text of a run's log. */
  runLog(runId: string): Promise<string>;
  close(): Promise<void>;
}

export async function startScenario(
  script: ScriptStep[],
  options: {
    readonly files?: Readonly<Record<string, string>>;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<Scenario> {
  const server = await startScriptedModelServer(script);
  const repo = await makeGitRepo(options.files ?? SUM_REPO_FILES);
  const stateDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'patchling-state-')));
  const apiKey = testApiKey();
  const env = cliEnv({
    baseURL: server.baseURL,
    stateDir,
    apiKey,
    ...(options.env ? { extra: options.env } : {}),
  });
  return {
    server,
    repo,
    stateDir,
    apiKey,
    env,
    run: (args, overrides = {}) => runCli(args, { cwd: repo.dir, env, ...overrides }),
    runIds: async () =>
      (await readdir(path.join(stateDir, 'runs')).catch(() => []))
        .filter((name) => name.endsWith('.jsonl'))
        .map((name) => name.slice(0, -'.jsonl'.length)),
    runLog: (runId) => readFile(path.join(stateDir, 'runs', `${runId}.jsonl`), 'utf8'),
    close: async () => {
      await server.close();
      await repo.remove();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function bodyOf(request: RecordedRequest | undefined): JsonObject {
  if (request === undefined) throw new Error('no such request');
  if (!isObject(request.body)) throw new Error(`request body is not JSON: ${request.rawBody}`);
  return request.body;
}

/** The Responses API `input` items of a request. */
export function inputOf(request: RecordedRequest | undefined): JsonObject[] {
  const input = bodyOf(request).input;
  if (!Array.isArray(input)) throw new Error('request has no input array');
  return input.filter(isObject);
}

/** The Chat Completions `messages` of a request. */
export function messagesOf(request: RecordedRequest | undefined): JsonObject[] {
  const messages = bodyOf(request).messages;
  if (!Array.isArray(messages)) throw new Error('request has no messages array');
  return messages.filter(isObject);
}

/** The function_call_output items of a Responses request, in order. */
export function callOutputs(
  request: RecordedRequest | undefined,
): { callId: string; output: string }[] {
  return inputOf(request).flatMap((item) =>
    item.type === 'function_call_output'
      ? [{ callId: String(item.call_id), output: String(item.output) }]
      : [],
  );
}

/** All text of a Responses input item (a message's input_text parts, or an output). */
export function textOfItem(item: JsonObject | undefined): string {
  if (item === undefined) return '';
  if (typeof item.content === 'string') return item.content;
  if (Array.isArray(item.content)) {
    return item.content
      .filter(isObject)
      .map((part) => (typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  if (typeof item.output === 'string') return item.output;
  return '';
}

/**
 * The bytes of the request body from its start through the last element of the array
 * field `key` (without the closing bracket): what the next request must begin with for
 * the provider's prompt cache to hit. The SDK serializes with JSON.stringify, so the
 * array's text in the raw body is the re-serialized parsed array.
 */
export function rawPrefixThrough(request: RecordedRequest | undefined, key: string): string {
  const body = bodyOf(request);
  const arrayText = JSON.stringify(body[key]);
  const marker = `${JSON.stringify(key)}:${arrayText}`;
  const at = request!.rawBody.indexOf(marker);
  if (at < 0) throw new Error(`the raw body does not hold ${key} as serialized`);
  return request!.rawBody.slice(0, at + marker.length - 1);
}

/**
 * The lines of a CLI's stderr that are not progress lines (`[  1.2s] turn 1`): warnings,
 * errors, anything a run that went well should not print.
 */
export function nonProgressLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !/^\[\s*\d+\.\ds\] /.test(line));
}

/** Polls until `check` holds, or throws after `withinMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  withinMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Parses --json stdout: every non-empty line must be a JSON object with a type. */
export function parseJsonLines(stdout: string): JsonObject[] {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, index) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`stdout line ${index + 1} is not JSON: ${JSON.stringify(line)}`);
    }
    if (!isObject(value) || typeof value.type !== 'string') {
      throw new Error(`stdout line ${index + 1} is not an event: ${line}`);
    }
    return value;
  });
}

/** Every file under `dir` (relative paths), .git excluded. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .filter((file) => file !== '.git' && !file.startsWith(`.git${path.sep}`));
}
