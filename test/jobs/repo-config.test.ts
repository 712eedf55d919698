import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defaultRepoConfig,
  formatConfigProblems,
  parseRepoConfig,
  REPO_CONFIG_MAX_BYTES,
} from '../../src/jobs/repo-config.js';

function problemsOf(text: string): readonly string[] {
  const result = parseRepoConfig(text);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.config)}`);
  return result.problems;
}

function configOf(text: string | undefined) {
  const result = parseRepoConfig(text);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

describe('parseRepoConfig: defaults', () => {
  it('gives the defaults when the file is absent', () => {
    expect(configOf(undefined)).toEqual({
      review: {
        auto: true,
        drafts: false,
        min_priority: 'P2',
        max_comments: 10,
        concurrency: 4,
        ignore_paths: [],
        approve_when_clean: false,
      },
      fix: { label: 'patchling', allow_workflow_changes: false, allow_fork_copies: false },
      scan: {
        paths: [],
        ignore_paths: [],
        min_confidence: 0.7,
        notify_at: 'high',
        fix: false,
        fix_at: 'high',
        max_tokens: 2_000_000,
        timeout_minutes: 60,
        full_every_days: 7,
        diff_max_files: 300,
      },
      bots: { allow: [] },
      sandbox: { env: [] },
      setup: { timeout: 600, on_failure: 'continue', cache: true },
    });
  });

  it('gives the defaults for an empty file and a file of comments', () => {
    expect(configOf('')).toEqual(defaultRepoConfig());
    expect(configOf('\n  \n')).toEqual(defaultRepoConfig());
    expect(configOf('# nothing to see\n')).toEqual(defaultRepoConfig());
  });

  it('fills the keys a partial file leaves out', () => {
    const config = configOf('review:\n  drafts: true\nfix:\n  label: autofix\n');
    expect(config.review).toMatchObject({ auto: true, drafts: true, max_comments: 10 });
    expect(config.fix.label).toBe('autofix');
  });

  it('parses the example file in docs/configuration.md', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const example = /```yaml\n# \.github\/patchling\.yml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = configOf(example);
    expect(config.bots.allow).toContain('dependabot[bot]');
    expect(config.fix.max_changed_files).toBe(20);
    expect(config.review.verify).toBe('npm test');
    expect(config.scan.schedule).toBeDefined();
    // The example shows what works today: model.name does nothing yet.
    expect(example).not.toMatch(/^model:/m);
  });
});

describe('parseRepoConfig: problems name the key', () => {
  it('reports a wrong type with the value it got', () => {
    expect(problemsOf('review:\n  max_comments: ten\n')).toEqual([
      'review.max_comments: expected a number, got "ten"',
    ]);
    expect(problemsOf('review:\n  auto: yes\n')).toEqual([
      'review.auto: expected true or false, got "yes"',
    ]);
    expect(problemsOf('review:\n  ignore_paths: "dist/**"\n')).toEqual([
      'review.ignore_paths: expected a list, got "dist/**"',
    ]);
  });

  it('reports an unknown key, suggesting the one a typo meant', () => {
    expect(problemsOf('review:\n  max_coments: 5\n')).toEqual([
      'review.max_coments: unknown key (did you mean "max_comments"?)',
    ]);
    expect(problemsOf('reveiw:\n  auto: false\n')).toEqual([
      'reveiw: unknown key (did you mean "review"?)',
    ]);
    expect(problemsOf('colour: blue\n')).toEqual(['colour: unknown key']);
  });

  it('reports a bad enum value with the allowed ones', () => {
    expect(problemsOf('review:\n  min_priority: P5\n')).toEqual([
      'review.min_priority: expected one of P0, P1, P2, P3, got "P5"',
    ]);
  });

  it('reports out-of-range numbers and empty strings', () => {
    expect(problemsOf('review:\n  concurrency: 9\n')).toEqual([
      'review.concurrency: must be at most 8',
    ]);
    expect(problemsOf('review:\n  concurrency: 0\n')).toEqual([
      'review.concurrency: must be at least 1',
    ]);
    expect(problemsOf('review:\n  max_comments: -1\n')).toEqual([
      'review.max_comments: must be at least 0',
    ]);
    expect(problemsOf('review:\n  max_comments: 2.5\n')).toEqual([
      'review.max_comments: expected a whole number, got 2.5',
    ]);
    expect(problemsOf('fix:\n  label: ""\n')).toEqual(['fix.label: must not be empty']);
  });

  it('reports every problem, not only the first', () => {
    expect(problemsOf('review:\n  auto: 1\nfix:\n  labels: [a]\n')).toEqual([
      'review.auto: expected true or false, got 1',
      'fix.labels: unknown key (did you mean "label"?)',
    ]);
  });

  it('gives the line of a YAML syntax error', () => {
    const [problem] = problemsOf('review:\n  auto: true\n  drafts: [true\n');
    expect(problem).toMatch(/^line \d+, column \d+: /);
    expect(problemsOf('review: {}\nreview: {}\n')).toEqual([
      'line 2, column 1: Map keys must be unique',
    ]);
  });

  it('refuses a top level that is not a mapping', () => {
    expect(problemsOf('- review\n- fix\n')).toEqual([
      '(top level): expected a mapping of keys (review:, fix:, …), got a list',
    ]);
    expect(problemsOf('just words')).toEqual([
      '(top level): expected a mapping of keys (review:, fix:, …), got "just words"',
    ]);
  });

  it('validates the scan schedule as a five-field cron expression', () => {
    expect(configOf('scan:\n  schedule: "30 3 * * MON-FRI"\n').scan.schedule).toBe(
      '30 3 * * MON-FRI',
    );
    expect(configOf('scan:\n  schedule: "*/15 0-6,22 1 jan,jul *"\n').scan.schedule).toBeDefined();
    expect(problemsOf('scan:\n  schedule: daily\n')).toEqual([
      'scan.schedule: expected five cron fields (minute hour day month weekday), got "daily"',
    ]);
    expect(problemsOf('scan:\n  schedule: "0 24 * * *"\n')).toEqual([
      'scan.schedule: "24" is not a valid hour field',
    ]);
    expect(problemsOf('scan:\n  schedule: "*/0 * * * *"\n')).toEqual([
      'scan.schedule: "*/0" is not a valid minute field',
    ]);
  });
});

describe('parseRepoConfig: hostile files', () => {
  it('refuses environment names that look like secrets', () => {
    const problems = problemsOf(
      'sandbox:\n  env: [NODE_OPTIONS, NPM_TOKEN, AWS_SECRET_ACCESS_KEY, DB_PASSWORD, SSH_KEY]\n',
    );
    expect(problems).toEqual([
      'sandbox.env[1]: NPM_TOKEN looks like a secret; secrets never enter the sandbox',
      'sandbox.env[2]: AWS_SECRET_ACCESS_KEY looks like a secret; secrets never enter the sandbox',
      'sandbox.env[3]: DB_PASSWORD looks like a secret; secrets never enter the sandbox',
      'sandbox.env[4]: SSH_KEY looks like a secret; secrets never enter the sandbox',
    ]);
    expect(problemsOf('sandbox:\n  env: [github_token]\n')).toHaveLength(1);
  });

  it("refuses Patchling's own settings, which can hold the operator's credentials", () => {
    expect(problemsOf('sandbox:\n  env: [PATCHLING_QUEUE_URL, OPENAI_BASE_URL]\n')).toEqual([
      "sandbox.env[0]: PATCHLING_QUEUE_URL is one of Patchling's own settings; they never enter the sandbox",
      "sandbox.env[1]: OPENAI_BASE_URL is one of Patchling's own settings; they never enter the sandbox",
    ]);
  });

  it('refuses environment entries that are not variable names', () => {
    expect(problemsOf('sandbox:\n  env: ["PATH=/evil", "A B"]\n')).toEqual([
      'sandbox.env[0]: "PATH=/evil" is not a variable name',
      'sandbox.env[1]: "A B" is not a variable name',
    ]);
  });

  it('allows harmless environment names', () => {
    expect(configOf('sandbox:\n  env: [NODE_OPTIONS, GOFLAGS]\n').sandbox.env).toEqual([
      'NODE_OPTIONS',
      'GOFLAGS',
    ]);
  });

  it('takes bot logins only in their exact [bot] form', () => {
    expect(configOf('bots:\n  allow: ["dependabot[bot]"]\n').bots.allow).toEqual([
      'dependabot[bot]',
    ]);
    expect(problemsOf('bots:\n  allow: [dependabot]\n')).toEqual([
      'bots.allow[0]: "dependabot" is not a bot login; bot logins end in [bot], e.g. "dependabot[bot]"',
    ]);
    expect(problemsOf('bots:\n  allow: ["*[bot]"]\n')).toHaveLength(1);
  });

  it('refuses an alias bomb ("billion laughs") without expanding it', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 0; level < 9; level++) {
      const previous = level === 0 ? 'a' : `l${level - 1}`;
      lines.push(`l${level}: &l${level} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const started = Date.now();
    expect(problemsOf(lines.join('\n'))).toEqual([
      '(file): cannot be read safely: too many aliases (*name)',
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('still accepts a few ordinary aliases', () => {
    const config = configOf('fix:\n  test_command: &t npm test\nreview:\n  verify: *t\n');
    expect(config.review.verify).toBe('npm test');
  });

  it('refuses an oversized file unread', () => {
    const text = `# ${'x'.repeat(REPO_CONFIG_MAX_BYTES)}\n`;
    expect(problemsOf(text)).toEqual([
      `(file): ${Buffer.byteLength(text)} bytes is over the ${REPO_CONFIG_MAX_BYTES}-byte limit`,
    ]);
  });

  it('treats __proto__ as an unknown key and pollutes nothing', () => {
    expect(problemsOf('__proto__:\n  polluted: true\n')).toEqual(['__proto__: unknown key']);
    expect(problemsOf('review:\n  __proto__: {auto: false}\n')).toEqual([
      'review.__proto__: unknown key',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses unknown YAML tags instead of guessing', () => {
    expect(problemsOf('review:\n  auto: !!js/function "return true"\n')[0]).toMatch(
      /^line 2, column 9: Unresolved tag/,
    );
  });

  it('refuses binary data where text is expected', () => {
    expect(problemsOf('review:\n  instructions: !!binary aGVsbG8=\n')).toEqual([
      'review.instructions: expected a string, got binary data',
    ]);
  });

  it('refuses deep flow nesting before parsing it', () => {
    const started = Date.now();
    expect(problemsOf('['.repeat(60_000))).toEqual(['(file): nested more than 32 levels deep']);
    expect(problemsOf(`a: ${'{a: '.repeat(40)}`)).toEqual([
      '(file): nested more than 32 levels deep',
    ]);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('lists at most ten problems', () => {
    const text = Array.from({ length: 30 }, (_, index) => `key${index}: 1`).join('\n');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(11);
    expect(problems[10]).toBe('… and 20 more');
  });
});

describe('formatConfigProblems', () => {
  it('names the file and lists each problem', () => {
    expect(formatConfigProblems(['review.auto: expected true or false, got "yes"'])).toBe(
      '`.github/patchling.yml` on the default branch is invalid, so Patchling did not run:\n' +
        '- review.auto: expected true or false, got "yes"',
    );
  });
});

describe('parseRepoConfig: setup', () => {
  it('reads the script, its timeout, the failure policy, the network and the cache switch', () => {
    const config = configOf(
      'setup:\n  run: |\n    npm ci\n    npm run build\n  timeout: 300\n  on_failure: stop\n' +
        '  network: [registry.npmjs.org, "*.pythonhosted.org:443"]\n  cache: false\n',
    );
    expect(config.setup).toEqual({
      run: 'npm ci\nnpm run build\n',
      timeout: 300,
      on_failure: 'stop',
      network: ['registry.npmjs.org', '*.pythonhosted.org:443'],
      cache: false,
    });
  });

  it('names each bad value', () => {
    expect(problemsOf('setup:\n  on_failure: retry\n  timeout: 5\n').join('\n')).toMatch(
      /setup\.on_failure[\s\S]*setup\.timeout|setup\.timeout[\s\S]*setup\.on_failure/,
    );
    expect(problemsOf('setup:\n  network: ["http://evil.example"]\n')[0]).toContain(
      'setup.network: "http://evil.example" is a URL',
    );
    expect(problemsOf('setup:\n  runs: npm ci\n')[0]).toContain('setup');
  });
});
