import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../errors.js';

/** What the runner tells the Action about the workflow run, from its environment. */
export interface ActionContext {
  /** GITHUB_EVENT_NAME, e.g. "issue_comment". */
  readonly eventName: string;
  /** The webhook payload the runner saved at GITHUB_EVENT_PATH. */
  readonly payload: unknown;
  /** GITHUB_REPOSITORY: the repository the workflow runs in. */
  readonly repo: { readonly owner: string; readonly repo: string };
  /** GITHUB_REF, e.g. "refs/heads/main" (absent outside a workflow). */
  readonly ref: string | undefined;
  /** GITHUB_API_URL, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  readonly apiUrl: string;
  /** GITHUB_SERVER_URL: clone URLs are `${serverUrl}/OWNER/REPO.git`. */
  readonly serverUrl: string;
  /** Run logs: PATCHLING_STATE_DIR, else $RUNNER_TEMP/patchling. Never the workspace. */
  readonly stateDir: string;
  /** Job checkouts: $RUNNER_TEMP/patchling-workspaces. */
  readonly workRoot: string;
  /** Names this run's progress comment or check run. */
  readonly jobId: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function readActionContext(env: Env): ActionContext {
  const eventName = required(env, 'GITHUB_EVENT_NAME');
  const eventPath = required(env, 'GITHUB_EVENT_PATH');
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(eventPath, 'utf8'));
  } catch (error) {
    throw new UserError(
      `Cannot read the event payload at ${eventPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const repository = required(env, 'GITHUB_REPOSITORY');
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new UserError(`GITHUB_REPOSITORY must be OWNER/REPO; got ${JSON.stringify(repository)}.`);
  }
  const temp = path.resolve(env.RUNNER_TEMP || os.tmpdir());
  const run = [env.GITHUB_RUN_ID || 'local', env.GITHUB_RUN_ATTEMPT || '1', env.GITHUB_JOB || '']
    .filter((part) => part !== '')
    .join('-');
  return {
    eventName,
    payload,
    repo: { owner, repo },
    ref: env.GITHUB_REF || undefined,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    stateDir: env.PATCHLING_STATE_DIR
      ? path.resolve(env.PATCHLING_STATE_DIR)
      : path.join(temp, 'patchling'),
    workRoot: path.join(temp, 'patchling-workspaces'),
    jobId: `action-${run}`,
  };
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new UserError(
      `${name} is not set: the Patchling Action runs inside a GitHub Actions workflow.`,
    );
  }
  return value;
}
