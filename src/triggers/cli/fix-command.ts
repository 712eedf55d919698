import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from '../../agent/run-log.js';
import { UserError } from '../../errors.js';
import { fixChanges, type FixChangesResult } from '../../jobs/fix/fix-changes.js';
import { secretsOfEnv } from '../../jobs/prepare-agent-run.js';
import { resolveModelConfig } from '../../model/model-config.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { commitChanges } from '../../workspace/git/commit-changes.js';
import type { GitIdentity } from '../../workspace/git/commit-message.js';
import { loadCliConfigFile } from './config-file.js';
import type { CliIo } from './exec-command.js';
import { loadImages, MAX_TASK_IMAGES } from './load-task-images.js';
import {
  agentProgressDisplay,
  locateCheckout,
  runUserGit,
  userExcludesFile,
  readCheckoutConfig,
  modelSettings,
  resolveBudgets,
  type BudgetFlags,
  type ModelFlags,
} from './run-settings.js';

export interface FixFlags extends ModelFlags, BudgetFlags {
  readonly cd?: string;
  readonly issueFile?: string;
  readonly image?: readonly string[];
  readonly branch?: string;
  readonly json?: boolean;
  readonly config?: string;
}

/** 0: a change was made and the tests pass. 1: anything short of that. 2: usage. 124: budget. */
export const FIX_EXIT = { fixed: 0, notFixed: 1, usage: 2, budget: 124 } as const;

/**
 * `patchling fix "what is wrong"`: the agent changes the checkout in the working
 * directory (a clean one: the change must be told apart from the user's own edits), then
 * Patchling runs the tests itself. The change stays in the working tree, or is committed
 * on a new branch with --branch.
 */
export async function runFix(
  description: string | undefined,
  flags: FixFlags,
  io: CliIo,
): Promise<number> {
  const issueText = flags.issueFile ? readIssueFile(path.resolve(io.cwd, flags.issueFile)) : '';
  if ((description === undefined || description.trim() === '') && issueText.trim() === '') {
    throw new UserError(
      'Describe the problem: `patchling fix "what is wrong"` or --issue-file FILE.',
    );
  }
  const file = loadCliConfigFile(flags.config, io.env);
  const { workspace } = locateCheckout(io.cwd, flags.cd);
  const config = await readCheckoutConfig(workspace);
  const modelConfig = resolveModelConfig(modelSettings(flags, file, io.env), io.env);
  const budgets = resolveBudgets(flags, file);
  if ((flags.image ?? []).length > MAX_TASK_IMAGES) {
    throw new UserError(
      `${flags.image?.length} images given; patchling fix attaches at most ${MAX_TASK_IMAGES}. Keep the ones that show the problem.`,
    );
  }
  const images = await loadImages(flags.image ?? [], io);

  // The user's own git, with their global config and excludes: this is their checkout.
  const userGit = (...args: string[]) => runUserGit(workspace, io.env, args);
  const dirty = await userGit('status', '--porcelain');
  if (dirty.trim() !== '') {
    throw new UserError(
      'The checkout has uncommitted changes: commit or stash them first, so the fix can be told apart from them.',
    );
  }
  const base = (await userGit('rev-parse', '--verify', 'HEAD^{commit}')).trim();
  const excludesFile = await userExcludesFile(workspace, io.env);
  // Known before the model is paid for: who the commit on --branch will be by.
  const identity = flags.branch === undefined ? undefined : await userIdentity(userGit);
  if (flags.branch !== undefined) {
    if (flags.branch.startsWith('-')) throw new UserError(`Not a branch name: ${flags.branch}`);
    await userGit('switch', `--create=${flags.branch}`);
  }
  const secrets = [modelConfig.apiKey, ...secretsOfEnv(io.env)].filter(Boolean);
  const redactor = new SecretRedactor(secrets);
  const redact = (text: string) => redactor.redact(text);

  const result = await fixChanges({
    workspace,
    base,
    subject: 'Fix the problem described below in this checkout.',
    untrusted: [
      ...(description?.trim() ? [{ label: 'problem', text: description }] : []),
      ...(issueText.trim() ? [{ label: 'issue', text: issueText }] : []),
    ],
    images,
    settings: config.fix,
    sandboxEnv: config.sandbox.env,
    modelConfig,
    stateDir: stateDir(io.env),
    env: io.env,
    secrets,
    budgets,
    // Nothing is pushed from here: the workflows rule guards the App's permissions.
    allowWorkflowChanges: true,
    ...(excludesFile ? { excludesFile } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onEvent: agentProgressDisplay(Boolean(flags.json), io, redact),
    onStage: (stage) => {
      if (!flags.json && stage === 'tests') io.stderr('running the tests…\n');
    },
    onWarning: (message) => io.stderr(`warning: ${message}\n`),
  });

  let commit: string | undefined;
  if (identity !== undefined && result.status === 'ready' && result.test?.passed === true) {
    commit = await commitOnBranch(workspace, identity, result, excludesFile, io.signal);
  }
  if (flags.json) {
    io.stdout(`${redact(JSON.stringify({ ...result, base, ...(commit ? { commit } : {}) }))}\n`);
  } else {
    io.stdout(redact(formatFixReport(result, commit, flags.branch)));
  }
  if (result.status === 'budget_exceeded') return FIX_EXIT.budget;
  return result.status === 'ready' && result.test?.passed === true
    ? FIX_EXIT.fixed
    : FIX_EXIT.notFixed;
}

async function commitOnBranch(
  workspace: string,
  author: GitIdentity,
  result: FixChangesResult,
  excludesFile: string | undefined,
  signal: AbortSignal | undefined,
): Promise<string> {
  const summary = result.report?.summary ?? result.message;
  return commitChanges({
    dir: workspace,
    message: `${summary.split('\n')[0]?.slice(0, 72) ?? 'Fix'}\n\n${summary}`,
    author,
    excludesFile,
    ...(signal ? { signal } : {}),
  });
}

async function userIdentity(userGit: (...args: string[]) => Promise<string>): Promise<GitIdentity> {
  const read = (key: string) =>
    userGit('config', '--get', key).then(
      (v) => v.trim(),
      () => '',
    );
  const name = await read('user.name');
  const email = await read('user.email');
  if (name === '' || email === '') {
    throw new UserError('Set git user.name and user.email to commit on --branch.');
  }
  return { name, email };
}

function formatFixReport(
  result: FixChangesResult,
  commit: string | undefined,
  branch: string | undefined,
): string {
  const lines: string[] = [];
  lines.push(result.report?.summary.trim() ?? result.message);
  if (result.files.length > 0) {
    lines.push(
      `Changed ${result.files.length} file${result.files.length === 1 ? '' : 's'}:\n${result.files
        .map((file) => `  ${file.status.padEnd(8)} ${file.path}`)
        .join('\n')}`,
    );
  }
  if (result.test) {
    lines.push(
      `Tests: \`${result.test.command}\` ${result.test.passed ? 'passed' : 'failed'}${
        result.test.passed ? '' : `\n${result.test.outputTail}`
      }`,
    );
  } else if (result.status === 'ready') {
    lines.push(
      'Tests: no test command configured (fix.test_command) or detected; the change is untested.',
    );
  }
  if (result.problems.length > 0)
    lines.push(`Refused:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  if (result.report?.risks.trim()) lines.push(`Risks: ${result.report.risks.trim()}`);
  if (commit) lines.push(`Committed ${commit.slice(0, 7)} on ${branch ?? 'the branch'}.`);
  else if (result.files.length > 0) lines.push('The change is in the working tree.');
  // Without a report the message opened the output already: say it once.
  if (result.report) lines.push(result.message);
  return `${lines.join('\n\n')}\n`;
}

function readIssueFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`Cannot read the issue file ${file}: ${(error as Error).message}`);
  }
}
