/**
 * `.github/patchling.yml`: what a repository asks of Patchling. Read from the default
 * branch only (a pull request must not be able to change how it is reviewed), parsed
 * strictly: an unknown key is a typo, and a typo must not silently fall back to a default.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseAllowEntry } from '../egress/allowlist.js';
import { isOperatorSetting, looksLikeSecretName } from '../sandbox/sandbox-env.js';

export const REPO_CONFIG_PATH = '.github/patchling.yml';
/** Larger files are refused unread: a config is a few hundred bytes. */
export const REPO_CONFIG_MAX_BYTES = 64 * 1024;
/** A comment lists at most this many problems: a broken file can yield thousands. */
const MAX_PROBLEMS = 10;
/** Deeper `[`/`{` nesting is refused before parsing: it costs seconds and the stack. */
const MAX_FLOW_DEPTH = 32;
/** Alias expansions allowed while building the value (a "billion laughs" file needs far more). */
const MAX_ALIAS_COUNT = 100;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A GitHub login with the suffix every App bot account has.
const BOT_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\[bot\]$/;

const Text = z.string().min(1).max(8_000);
const ShellCommand = z.string().min(1).max(2_000);

const EnvName = z.string().superRefine((name, ctx) => {
  if (!ENV_NAME.test(name)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a variable name` });
  } else if (looksLikeSecretName(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `${name} looks like a secret; secrets never enter the sandbox`,
    });
  } else if (isOperatorSetting(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `${name} is one of Patchling's own settings; they never enter the sandbox`,
    });
  }
});

const BotLogin = z.string().superRefine((login, ctx) => {
  if (!BOT_LOGIN.test(login)) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(login)} is not a bot login; bot logins end in [bot], e.g. "dependabot[bot]"`,
    });
  }
});

const CronSchedule = z.string().superRefine((expression, ctx) => {
  const problem = checkCron(expression);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const ReviewConfig = z.strictObject({
  auto: z.boolean().default(true),
  drafts: z.boolean().default(false),
  instructions: Text.optional(),
  min_priority: z.enum(['P0', 'P1', 'P2', 'P3']).default('P2'),
  max_comments: z.number().int().min(0).max(100).default(10),
  /** Batches of a large change reviewed at once (fewer while the provider rate limits). */
  concurrency: z.number().int().min(1).max(8).default(4),
  ignore_paths: z.array(z.string().min(1).max(500)).max(200).default([]),
  verify: ShellCommand.optional(),
  /** The review asks for changes when a posted finding is at least this severe. */
  request_changes_at: z.enum(['P0', 'P1', 'P2', 'P3']).optional(),
  /** A review with no findings approves (needs the App's, or the token's, right to approve). */
  approve_when_clean: z.boolean().default(false),
  /** `patchling review` exits 1 when a finding is at least this severe. */
  fail_on: z.enum(['P0', 'P1', 'P2', 'P3']).optional(),
});

const FixConfig = z.strictObject({
  label: z.string().min(1).max(50).default('patchling'),
  instructions: Text.optional(),
  test_command: ShellCommand.optional(),
  allow_workflow_changes: z.boolean().default(false),
  /**
   * A fork's pull request whose author allows no edits: copy its commits to a branch here
   * and propose the fix from it. Off: that runs the fork's code in this repository's
   * workflows.
   */
  allow_fork_copies: z.boolean().default(false),
  max_changed_files: z.number().int().min(1).max(1_000).optional(),
});

const ScanSeverity = z.enum(['critical', 'high', 'medium', 'low']);
const ScanConfig = z.strictObject({
  schedule: CronSchedule.optional(),
  /** When not empty, only files these patterns match are scanned. */
  paths: z.array(z.string().min(1).max(500)).max(200).default([]),
  ignore_paths: z.array(z.string().min(1).max(500)).max(200).default([]),
  instructions: Text.optional(),
  /** Findings no reproduction or reading confirmed are dropped below this confidence. */
  min_confidence: z.number().min(0).max(1).default(0.7),
  /** `patchling scan` exits 1 when a finding is at least this severe. */
  fail_on: ScanSeverity.optional(),
  /** A new finding at least this severe opens an issue (the App and the Action). */
  notify_at: ScanSeverity.default('high'),
  /** Draft fix pull requests for proven findings at least `fix_at` severe. */
  fix: z.boolean().default(false),
  fix_at: ScanSeverity.default('high'),
  /** Tokens (input + output) one scan may spend. */
  max_tokens: z.number().int().min(10_000).max(100_000_000).default(2_000_000),
  timeout_minutes: z.number().int().min(1).max(360).default(60),
  /**
   * Scheduled scans are diff-aware (since the previous analysis) unless the last full scan
   * is this many days old or older; 0: every scheduled scan is full.
   */
  full_every_days: z.number().int().min(0).max(365).default(7),
  /** A diff-aware scan with more changed files than this is a full scan instead. */
  diff_max_files: z.number().int().min(1).max(100_000).default(300),
});
const BotsConfig = z.strictObject({ allow: z.array(BotLogin).max(50).default([]) });
const SandboxConfig = z.strictObject({ env: z.array(EnvName).max(50).default([]) });
const ModelConfig = z.strictObject({ name: z.string().min(1).max(200).optional() });
const NetworkEntry = z.string().superRefine((entry, ctx) => {
  try {
    parseAllowEntry(entry, 'setup.network');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});
const SetupConfig = z.strictObject({
  /** A shell script that installs the dependencies; absent: detected from lockfiles. */
  run: Text.optional(),
  /** Seconds; the whole setup is killed after it. */
  timeout: z.number().int().min(10).max(3_600).default(600),
  /** When setup fails: go on without it (the agent sees a checkout without dependencies), or stop the job. */
  on_failure: z.enum(['continue', 'stop']).default('continue'),
  /** Narrows the operator's egress allowlist (PATCHLING_NETWORK_ALLOW); can never widen it. */
  network: z.array(NetworkEntry).max(100).optional(),
  /** Reuse the result of an earlier setup on the same script and lockfiles. */
  cache: z.boolean().default(true),
});

export const RepoConfig = z.strictObject({
  review: ReviewConfig.prefault({}),
  fix: FixConfig.prefault({}),
  scan: ScanConfig.prefault({}),
  bots: BotsConfig.prefault({}),
  sandbox: SandboxConfig.prefault({}),
  setup: SetupConfig.prefault({}),
  model: ModelConfig.optional(),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

// The keys each object accepts, to suggest the one a typo meant.
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(RepoConfig.shape),
  review: Object.keys(ReviewConfig.shape),
  fix: Object.keys(FixConfig.shape),
  scan: Object.keys(ScanConfig.shape),
  bots: Object.keys(BotsConfig.shape),
  sandbox: Object.keys(SandboxConfig.shape),
  setup: Object.keys(SetupConfig.shape),
  model: Object.keys(ModelConfig.shape),
};

export type RepoConfigResult =
  | { readonly ok: true; readonly config: RepoConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The configuration of a repository without a config file. */
export function defaultRepoConfig(): RepoConfig {
  return RepoConfig.parse({});
}

/**
 * Parses the text of `.github/patchling.yml` (undefined when the file does not exist).
 * Each problem names the key path and what is wrong, ready to quote in a comment.
 */
export function parseRepoConfig(yamlText: string | undefined): RepoConfigResult {
  if (yamlText === undefined) return { ok: true, config: defaultRepoConfig() };
  const bytes = Buffer.byteLength(yamlText, 'utf8');
  if (bytes > REPO_CONFIG_MAX_BYTES) {
    return {
      ok: false,
      problems: [`(file): ${bytes} bytes is over the ${REPO_CONFIG_MAX_BYTES}-byte limit`],
    };
  }
  if (flowDepth(yamlText) > MAX_FLOW_DEPTH) {
    return { ok: false, problems: [`(file): nested more than ${MAX_FLOW_DEPTH} levels deep`] };
  }
  const loaded = loadYaml(yamlText);
  if (!loaded.ok) return { ok: false, problems: capProblems(loaded.problems) };
  const value = loaded.value ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      problems: [
        `(top level): expected a mapping of keys (review:, fix:, …), got ${describe(value)}`,
      ],
    };
  }
  const parsed = RepoConfig.safeParse(value, { reportInput: true });
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: capProblems(parsed.error.issues.flatMap(describeIssue)) };
}

function capProblems(problems: readonly string[]): readonly string[] {
  const unique = [...new Set(problems)];
  if (unique.length <= MAX_PROBLEMS) return unique;
  return [...unique.slice(0, MAX_PROBLEMS), `… and ${unique.length - MAX_PROBLEMS} more`];
}

/** The body of the comment that answers an invalid config file. */
export function formatConfigProblems(problems: readonly string[]): string {
  const lines = problems.map((problem) => `- ${problem}`);
  return `\`${REPO_CONFIG_PATH}\` on the default branch is invalid, so Patchling did not run:\n${lines.join('\n')}`;
}

/** The deepest nesting of flow brackets; quotes are not parsed, so this errs towards deep. */
function flowDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of text) {
    if (char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if ((char === ']' || char === '}') && depth > 0) depth--;
  }
  return deepest;
}

function loadYaml(
  text: string,
): { ok: true; value: unknown } | { ok: false; problems: readonly string[] } {
  let value: unknown;
  let problems: string[];
  try {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, schema: 'core' });
    // Warnings too: an unknown tag (`!foo`) is a guess we will not make.
    problems = [...doc.errors, ...doc.warnings].map((error) => {
      const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
      const at = error.linePos?.[0];
      return at ? `line ${at.line}, column ${at.col}: ${message}` : `(file): ${message}`;
    });
    if (problems.length === 0) value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // toJS throws a ReferenceError past maxAliasCount; deep nesting can overflow the stack.
    const reason = error instanceof ReferenceError ? 'too many aliases (*name)' : String(error);
    return { ok: false, problems: [`(file): cannot be read safely: ${reason}`] };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const at = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = KNOWN_KEYS[issue.path.join('.')] ?? [];
      return issue.keys.map((key) => {
        const guess = closest(key, known);
        const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
        return `${formatPath([...issue.path, key])}: unknown key${hint}`;
      });
    }
    case 'invalid_type':
      return [
        `${at}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`,
      ];
    case 'invalid_value':
      return [
        `${at}: expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${describe(issue.input)}`,
      ];
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1)
        return [`${at}: must not be empty`];
      return [`${at}: must be at least ${String(issue.minimum)}${unit(issue.origin)}`];
    case 'too_big':
      return [`${at}: must be at most ${String(issue.maximum)}${unit(issue.origin)}`];
    default:
      return [`${at}: ${issue.message}`];
  }
}

const EXPECTED: Readonly<Record<string, string>> = {
  boolean: 'true or false',
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  array: 'a list',
  object: 'a mapping of keys',
};

function unit(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array') return ' entries';
  return '';
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** The known key a typo most likely meant, if one is close. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59, names: [] },
  { name: 'hour', min: 0, max: 23, names: [] },
  { name: 'day of month', min: 1, max: 31, names: [] },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

/** A five-field POSIX cron expression, as GitHub Actions accepts; the problem, or undefined. */
function checkCron(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected five cron fields (minute hour day month weekday), got ${JSON.stringify(expression)}`;
  }
  for (const [index, spec] of CRON_FIELDS.entries()) {
    const field = fields[index] ?? '';
    for (const item of field.split(',')) {
      const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
      const values = match?.[1] === '*' ? [] : (match?.[1]?.split('-') ?? [undefined]);
      const valid =
        match !== null &&
        (match[2] === undefined || Number(match[2]) > 0) &&
        values.every((value) => cronValue(value, spec) !== undefined);
      if (!valid) return `${JSON.stringify(field)} is not a valid ${spec.name} field`;
    }
  }
  return undefined;
}

function cronValue(
  value: string | undefined,
  spec: (typeof CRON_FIELDS)[number],
): number | undefined {
  if (value === undefined) return undefined;
  const named = (spec.names as readonly string[]).indexOf(value.toUpperCase());
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return number >= spec.min && number <= spec.max ? number : undefined;
}
