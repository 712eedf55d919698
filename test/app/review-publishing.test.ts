/**
 * How the App publishes a pull request review, end to end: a real repository with a
 * multi-file pull request behind the test git server, the real sandbox (for the model's
 * tools and for `review.verify`), a scripted model answering ReviewOutput, and GitHub played
 * by nock with every body checked against GitHub's published request schemas.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findingFingerprint } from '../../src/github/post-review.js';
import type { Finding, ReviewOutput } from '../../src/jobs/review/finding.js';
import {
  githubUser,
  startTestApp,
  type AppHarness,
  type GitHubMock,
  type ListedReview,
  type ListedReviewComment,
  type ReviewCommentRequest,
  expectGitHubMockSettled,
  startGitHubMock,
} from '../support/app-harness.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { withBody } from '../support/nock-request.js';
import { mockProgressCheckRun } from '../support/check-run-mock.js';
import { testModelConfig } from '../support/test-model-config.js';
import { TEST_INSTALLATION, webhookPayload } from '../support/webhook-payloads.js';
import {
  createMultiFilePrRepo,
  BASE_FILES,
  FEATURE_CHANGES,
  type FileChanges,
  type MultiFilePrRepo,
} from './multi-file-pr-repo.js';

const OWNER = 'octo-org';
const REPO = 'widgets';
const NUMBER = 7;
const PULL = `/repos/${OWNER}/${REPO}/pulls/${NUMBER}`;
const REACTIONS = '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions';
/** A check for `review.verify` that prints nothing: its verdict is its exit code alone. */
const VERIFY = "! grep -rq 'process.exit' src";

let github: GitHubMock;
let repo: MultiFilePrRepo | undefined;
let model: ScriptedModelServer | undefined;
let app: AppHarness | undefined;

beforeEach(() => {
  github = startGitHubMock();
  headAfterPush = {};
});

const REPLIES = '/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies';
/** Accepts Patchling's "Addressed in <sha>" replies to these comments; returns their bodies. */
function acceptReplies(commentIds: readonly number[]): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  for (const commentId of commentIds) {
    github.write(
      'POST',
      REPLIES,
      { owner: OWNER, repo: REPO, pull_number: NUMBER, comment_id: commentId },
      (body) => {
        bodies.push(body);
        return [201, { id: commentId + 50_000, in_reply_to_id: commentId, body: body.body }];
      },
    );
  }
  return bodies;
}

afterEach(async () => {
  await app?.close();
  await model?.close();
  await repo?.close();
  app = model = repo = undefined;
  expectGitHubMockSettled(github);
});

const repository = {
  name: REPO,
  full_name: `${OWNER}/${REPO}`,
  owner: { login: OWNER },
  default_branch: 'main',
  html_url: `https://github.com/${OWNER}/${REPO}`,
  url: `https://api.github.com/repos/${OWNER}/${REPO}`,
};

/** GitHub's pull request shape, moved onto the test repository at `headSha`. */
function pullRequest(pr: MultiFilePrRepo, headSha: string) {
  return {
    number: NUMBER,
    title: 'Rework the helpers',
    body: 'Fixes sum, adds parseAmount, drops the legacy rate.',
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}`,
    head: { sha: headSha, ref: pr.headRef, label: `${OWNER}:${pr.headRef}`, repo: repository },
    base: { sha: pr.baseSha, ref: 'main', label: `${OWNER}:main`, repo: repository },
  };
}

function finding(overrides: Partial<Finding> & Pick<Finding, 'title' | 'path'>): Finding {
  return {
    explanation: `Explanation of "${overrides.title}".`,
    priority: 'P2',
    confidence: 0.9,
    start_line: 1,
    end_line: 1,
    suggestion: null,
    ...overrides,
  };
}

function answer(summary: string, findings: readonly Finding[]): string {
  const output: ReviewOutput = {
    verdict: findings.length === 0 ? 'no_issues' : 'issues_found',
    summary,
    findings: [...findings],
  };
  return JSON.stringify(output, null, 2);
}

/** The code of a finding's lines at the head of FEATURE_CHANGES: what its fingerprint hashes. */
let headAfterPush: FileChanges = {};
function codeAt(f: Finding): string | undefined {
  const text =
    f.path in headAfterPush
      ? headAfterPush[f.path]
      : f.path in FEATURE_CHANGES
        ? FEATURE_CHANGES[f.path]
        : (BASE_FILES as FileChanges)[f.path];
  if (typeof text !== 'string') return undefined;
  const lines = text.split(/\r?\n/);
  if (f.end_line > lines.length) return undefined;
  return lines.slice(f.start_line - 1, f.end_line).join('\n');
}
const fingerprintOf = (f: Finding) => findingFingerprint({ ...f, code: codeAt(f) });
const codeFields = (f: Finding) =>
  codeAt(f) === undefined
    ? ''
    : ` kind=${f.kind ?? 'other'} lines=${f.end_line - f.start_line + 1}`;
const marker = (f: Finding) => `<!-- patchling:finding ${fingerprintOf(f)}${codeFields(f)} -->`;
const summaryMarker = (f: Finding) =>
  `<!-- patchling:finding ${fingerprintOf(f)} path=${encodeURIComponent(f.path)}${codeFields(f)} -->`;
const reviewMarker = (sha: string) => `<!-- patchling:review sha=${sha} -->`;

/** An inline comment's body as Patchling writes it. */
function commentBody(f: Finding, extra?: string): string {
  return [`**${f.priority} ${f.title}**`, '', f.explanation, ...(extra ? ['', extra] : [])]
    .concat(['', marker(f)])
    .join('\n');
}

function suggestionBlock(text: string): string {
  return ['```suggestion', text.replace(/\n$/, ''), '```'].join('\n');
}

/** One "Findings outside the diff" entry of a review body. */
function summaryEntry(f: Finding, location: string, reason: string, note?: string): string {
  const explanation = [`  ${f.explanation}`, ...(note ? ['', `  ${note}`] : [])].join('\n');
  return `- **${f.priority} ${f.title}** at \`${location}\` (${reason}) ${summaryMarker(f)}\n\n${explanation}`;
}

/** Everything one review job asks of GitHub around the review itself. */
function mockReviewRun(
  pr: MultiFilePrRepo,
  options: {
    readonly headSha: string;
    readonly checkRunId: number;
    readonly config?: string;
    readonly history?: {
      readonly reviews?: readonly ListedReview[];
      readonly comments?: readonly ListedReviewComment[];
    };
  },
): void {
  // Read twice from the default branch: to route the delivery, then by the job.
  github.repoConfig(OWNER, REPO, options.config);
  github.repoConfig(OWNER, REPO, options.config);
  github.repoFile(OWNER, REPO, 'AGENTS.override.md', 'main');
  github.repoFile(OWNER, REPO, 'AGENTS.md', 'main');
  // What counts as generated is the base branch's to say.
  github.repoFile(OWNER, REPO, '.gitattributes', 'main');
  const prExample = webhookPayload('pull_request', 'opened').pull_request;
  github.scope.get(PULL).reply(200, { ...prExample, ...pullRequest(pr, options.headSha) });
  mockProgressCheckRun(github, { owner: OWNER, repo: REPO, id: options.checkRunId });
  github.reviewHistory(OWNER, REPO, NUMBER, options.history);
}

async function deliver(action: 'opened' | 'synchronize', pr: MultiFilePrRepo, before?: string) {
  const payload = webhookPayload('pull_request', action, {
    number: NUMBER,
    repository,
    installation: TEST_INSTALLATION,
    pull_request: pullRequest(pr, pr.headSha),
    ...(action === 'synchronize' ? { before, after: pr.headSha } : {}),
  });
  const delivered = await app?.deliver('pull_request', payload);
  expect(delivered?.status).toBe(200);
}

/** Someone with no write access: a review needs none, so it is not even asked. */
const REQUESTER = { login: 'octo-reader', id: 583231, type: 'User' } as const;

/**
 * A `/patchling review` comment on the pull request (an issue comment, as GitHub sends one
 * written in the conversation tab), and the 👀 Patchling answers it with.
 */
async function deliverReviewCommand(commentId: number): Promise<void> {
  github.write('POST', REACTIONS, { owner: OWNER, repo: REPO, comment_id: commentId }, (body) => [
    201,
    { id: 1, node_id: 'REA_1', content: body.content, created_at: '2025-01-01T00:00:00Z' },
  ]);
  const pullUrl = `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}`;
  const payload = webhookPayload('issue_comment', 'created', {
    issue: {
      number: NUMBER,
      title: 'Rework the helpers',
      state: 'open',
      pull_request: {
        url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/${NUMBER}`,
        html_url: pullUrl,
        diff_url: `${pullUrl}.diff`,
        patch_url: `${pullUrl}.patch`,
      },
    },
    comment: { id: commentId, body: '/patchling review', user: REQUESTER },
    repository,
    installation: TEST_INSTALLATION,
    sender: REQUESTER,
  });
  const delivered = await app?.deliver('issue_comment', payload);
  expect(delivered?.status).toBe(200);
}

type Reply = readonly [number, nock.Body];

/** One GraphQL request, as octokit sends it. */
interface GraphQLRequest {
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

/**
 * POST /graphql: first the pull request's review threads (one page: one unresolved thread
 * per comment, started by it), then one answer per resolveReviewThread mutation, in order.
 */
function mockThreads(
  comments: readonly ListedReviewComment[],
  resolutions: readonly ((threadId: string) => Reply)[],
): GraphQLRequest[] {
  const requests: GraphQLRequest[] = [];
  github.scope.post('/graphql').reply(
    withBody((body) => {
      requests.push(body as GraphQLRequest);
      const nodes = comments.map((comment) => ({
        id: `PRRT_${comment.id}`,
        isResolved: false,
        comments: { nodes: [{ databaseId: comment.id }] },
      }));
      return [
        200,
        {
          data: {
            repository: {
              pullRequest: {
                reviewThreads: { pageInfo: { hasNextPage: false, endCursor: null }, nodes },
              },
            },
          },
        },
      ];
    }),
  );
  for (const resolution of resolutions) {
    github.scope.post('/graphql').reply(
      withBody((body) => {
        const request = body as GraphQLRequest;
        requests.push(request);
        return [...resolution(String(request.variables.threadId))];
      }),
    );
  }
  return requests;
}

/** GitHub's answer to a resolveReviewThread mutation that worked. */
const resolvedThread = (threadId: string): Reply => [
  200,
  { data: { resolveReviewThread: { thread: { id: threadId, isResolved: true } } } },
];

/** The request for the pull request's review threads, first page. */
const LIST_THREADS = {
  query: expect.stringContaining('reviewThreads(first: 100, after: $after)'),
  variables: { owner: OWNER, repo: REPO, number: NUMBER, after: null },
};

/** The request resolving one thread. */
const resolveThread = (threadId: string) => ({
  query: expect.stringContaining('resolveReviewThread(input: { threadId: $threadId })'),
  variables: { threadId },
});

/** src/math.js with sum fixed: lines 3-4 of the first push become one, so mean moves up. */
const MATH_WITH_SUM_FIXED = [
  '// Math helpers.',
  'export function sum(a, b) {',
  '  return Number(a) + Number(b);',
  '}',
  '',
  'export function product(a, b) {',
  '  return a * b;',
  '}',
  '',
  'export function square(x) {',
  '  return x * x;',
  '}',
  '',
  'export function cube(x) {',
  '  return x * x * x;',
  '}',
  '',
  'export function mean(values) {',
  '  let total = 0;',
  '  for (const value of values) total += value;',
  '  return total / values.length;',
  '}',
  '',
].join('\n');

/** The final PATCH of a check run: completed, with its summary. */
function finalCheckRun(checkRunId: number) {
  const body = github.calls
    .filter((call) => call.method === 'PATCH' && call.path.endsWith(`/check-runs/${checkRunId}`))
    .at(-1)?.body as
    | { status?: string; conclusion?: string; details_url?: string; output?: { summary?: string } }
    | undefined;
  return body;
}

function taskOf(request: RecordedRequest | undefined): string {
  return JSON.stringify(request?.body);
}

async function startApp(pr: MultiFilePrRepo): Promise<AppHarness> {
  if (model === undefined) throw new Error('start the model first');
  github.installationAuth(TEST_INSTALLATION.id);
  github.app();
  return startTestApp({
    config: { cloneBaseUrl: pr.url },
    modelConfig: testModelConfig(model.baseURL, 'responses'),
  });
}

describe('publishing a review of a multi-file pull request', () => {
  // The findings of the first review, all on the head of FEATURE_CHANGES.
  const SUM = finding({
    title: 'sum concatenates string inputs',
    explanation: 'Form values are strings, so `sum("1", "2")` is `"12"`.',
    priority: 'P1',
    path: 'src/math.js',
    start_line: 3,
    end_line: 4,
    suggestion: '  return Number(a) + Number(b);\n',
  });
  const MEAN = finding({
    title: 'mean of an empty list is NaN',
    explanation: 'An empty list divides 0 by 0.',
    priority: 'P1',
    path: 'src/math.js',
    start_line: 20,
    end_line: 22,
    // Would fix it, but the repository's check forbids process.exit.
    suggestion: [
      '  if (values.length === 0) process.exit(1);',
      '  let total = 0;',
      '  for (const value of values) total += value;',
      '  return total / values.length;',
    ].join('\n'),
  });
  const PRICE = finding({
    title: 'Negative prices lose a digit',
    explanation: '`formatPrice(-5)` prints `$-0.05`.',
    path: 'src/format.js',
    start_line: 2,
    end_line: 2,
  });
  const PARSE = finding({
    title: 'parseAmount drops the cents',
    explanation: '`parseAmount("1.50")` is 1.',
    path: 'src/parse.js',
    start_line: 2,
    end_line: 4,
    // The lines as they are: nothing to suggest.
    suggestion: [
      '  const value = Number.parseInt(text, 10);',
      '  if (Number.isNaN(value)) return 0;',
      '  return value;',
    ].join('\n'),
  });
  const SQUARE = finding({
    title: 'square overflows for large inputs',
    path: 'src/math.js',
    start_line: 12,
    end_line: 12,
  });
  const CLAMP = finding({
    title: 'clamp accepts lo greater than hi',
    path: 'src/util.js',
    start_line: 2,
    end_line: 2,
  });
  const PARSE_TAIL = finding({
    title: 'parseAmount has no default export',
    path: 'src/parse.js',
    start_line: 5,
    end_line: 7,
    suggestion: '}\n\nexport default parseAmount;\n',
  });
  const LEGACY = finding({
    title: 'OLD_RATE is still imported elsewhere',
    path: 'src/legacy.js',
    start_line: 1,
    end_line: 1,
  });

  it('anchors each finding on its lines of the diff, puts the others in the summary, and posts only verified suggestions', async () => {
    const token = github.installationToken;
    const pr = await createMultiFilePrRepo({ owner: OWNER, repo: REPO, number: NUMBER, token });
    repo = pr;
    const summary = 'Reworks the math helpers and adds parseAmount. Several problems.';
    model = await startScriptedModelServer([
      step.toolCalls([
        { name: 'shell', arguments: { command: 'git diff --stat HEAD~1' }, callId: 'call_stat' },
      ]),
      step.text(answer(summary, [SUM, MEAN, PRICE, PARSE, SQUARE, CLAMP, PARSE_TAIL, LEGACY])),
    ]);
    mockReviewRun(pr, {
      headSha: pr.headSha,
      checkRunId: 4321,
      config: `review:\n  verify: "${VERIFY}"\n`,
    });
    const reviews = github.reviews(OWNER, REPO, NUMBER, { times: 1, firstId: 80 });
    github.reviewComments(OWNER, REPO, NUMBER, 80, reviews);

    app = await startApp(pr);
    await deliver('opened', pr);
    const jobs = await app.settled(2, 45_000);
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);
    // review.verify runs code: the setup phase ran first (nothing to install here).
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        msg: 'setup finished',
        status: 'skipped',
        reason: 'no setup.run and no lockfile to install from',
      }),
    );

    // The model saw the whole pull request: every changed file, none of the unchanged ones.
    const task = taskOf(model.requests[0]);
    for (const file of ['src/format.js', 'src/legacy.js', 'src/math.js', 'src/parse.js']) {
      expect(task).toContain(`diff --git a/${file} b/${file}`);
    }
    expect(task).not.toContain('diff --git a/src/util.js');

    expect(reviews.requests).toHaveLength(1);
    const [posted] = reviews.requests;
    expect(posted?.commit_id).toBe(pr.headSha);
    expect(posted?.event).toBe('COMMENT');
    expect(posted?.comments).toEqual([
      // Two lines of the first hunk of a file with two; the check passed with it applied.
      {
        path: 'src/math.js',
        start_line: 3,
        start_side: 'RIGHT',
        line: 4,
        side: 'RIGHT',
        body: commentBody(SUM, suggestionBlock('  return Number(a) + Number(b);')),
      },
      // Three lines of its second hunk; the check failed with the suggestion applied.
      {
        path: 'src/math.js',
        start_line: 20,
        start_side: 'RIGHT',
        line: 22,
        side: 'RIGHT',
        body: commentBody({
          ...MEAN,
          explanation: `${MEAN.explanation}\n\n_A suggested change was left out: the check failed with exit code 1._`,
        }),
      },
      // One line: no start_line.
      { path: 'src/format.js', line: 2, side: 'RIGHT', body: commentBody(PRICE) },
      // A new file; the suggestion changes nothing, so there is none.
      {
        path: 'src/parse.js',
        start_line: 2,
        start_side: 'RIGHT',
        line: 4,
        side: 'RIGHT',
        body: commentBody({
          ...PARSE,
          explanation: `${PARSE.explanation}\n\n_A suggested change was left out: no change._`,
        }),
      },
    ]);
    expect(posted?.body).toBe(
      [
        summary,
        'Reviewed 4 files.',
        [
          '**Findings outside the diff**',
          summaryEntry(SQUARE, 'src/math.js:12', 'line 12 of src/math.js is outside the diff'),
          summaryEntry(CLAMP, 'src/util.js:2', 'src/util.js is not in the diff'),
          summaryEntry(
            PARSE_TAIL,
            'src/parse.js:5-7',
            'lines 5-7 of src/parse.js: line 7 is outside the diff',
            '_A suggested change was left out: lines 5-7 are outside the file, which has 5 lines._',
          ),
          summaryEntry(LEGACY, 'src/legacy.js:1', 'src/legacy.js is deleted by the change'),
        ].join('\n\n'),
        reviewMarker(pr.headSha),
      ].join('\n\n'),
    );
    // Only the verified suggestion is a block anyone can apply.
    expect(JSON.stringify(posted).match(/```suggestion/g)).toHaveLength(1);

    const outcome = 'Reviewed: 8 findings. Posted: 4 inline comments, 4 in the summary.';
    expect(jobs[1]?.result).toMatchObject({
      status: 'completed',
      message: outcome,
      finalMessage: summary,
    });
    const final = finalCheckRun(4321);
    expect(final).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-80`,
    });
    expect(final?.output?.summary).toContain(outcome);
    // The checkout and the check's scratch copy are gone.
    expect(await readdir(path.join(app.stateDir, 'workspaces'))).toEqual([]);
  }, 60_000);

  it('reviews a later push incrementally: only the new diff, nothing posted twice; only the thread whose lines the push rewrote is resolved, with a reply', async () => {
    const token = github.installationToken;
    const pr = await createMultiFilePrRepo({ owner: OWNER, repo: REPO, number: NUMBER, token });
    repo = pr;
    const firstHead = pr.headSha;
    const plain = (f: Finding): Finding => ({ ...f, suggestion: null });
    const [sum, mean, price, parse] = [SUM, MEAN, PRICE, PARSE].map(plain) as [
      Finding,
      Finding,
      Finding,
      Finding,
    ];
    const PERCENT = finding({
      title: 'formatPercent shows float noise',
      explanation: '`formatPercent(0.07)` prints `7.000000000000001%`.',
      path: 'src/format.js',
      start_line: 10,
      end_line: 10,
    });
    // New too, on a line of the first push: in the pull request's diff, not in this push's.
    const PARSE_NAN = finding({
      title: 'parseAmount turns bad input into 0',
      explanation: '`parseAmount("abc")` is 0, indistinguishable from a real 0.',
      path: 'src/parse.js',
      start_line: 3,
      end_line: 3,
    });
    const secondSummary = 'Fixes sum and adds formatPercent, which prints float noise.';
    model = await startScriptedModelServer([
      step.text(answer('Reworks the helpers.', [sum, mean, price, parse, CLAMP])),
      // The second push: mean, price and clamp are still there (mean's lines moved), sum is
      // fixed, parse's finding is not reported again (parse.js is not in this push).
      step.text(
        answer(secondSummary, [
          { ...mean, start_line: 19, end_line: 21 },
          price,
          CLAMP,
          PERCENT,
          PARSE_NAN,
        ]),
      ),
    ]);

    // The first review: the whole pull request.
    mockReviewRun(pr, { headSha: firstHead, checkRunId: 4321 });
    const first = github.reviews(OWNER, REPO, NUMBER, { times: 1, firstId: 80 });
    github.reviewComments(OWNER, REPO, NUMBER, 80, first);
    app = await startApp(pr);
    await deliver('opened', pr);
    const firstJobs = await app.settled(2, 45_000);
    expect(firstJobs.map((job) => job.status)).toEqual(['succeeded', 'succeeded']);
    expect(first.submitted()).toHaveLength(1);
    const firstReview = first.submitted()[0];
    if (firstReview === undefined) throw new Error('no first review');
    expect(firstReview.request.comments?.map((c) => `${c.path}:${c.line}`)).toEqual([
      'src/math.js:4',
      'src/math.js:22',
      'src/format.js:2',
      'src/parse.js:4',
    ]);
    expect(firstReview.comments.map((c) => c.id)).toEqual([1001, 1002, 1003, 1004]);
    expect(firstReview.listed.body).toContain(summaryMarker(CLAMP));
    const firstTask = taskOf(model.requests[0]);
    expect(firstTask).toContain('diff --git a/src/parse.js b/src/parse.js');
    expect(firstTask).toContain('-  return a - b;');

    // A push: sum fixed (math.js lines 3-4 become one), formatPercent appended to format.js.
    headAfterPush = {
      'src/math.js': MATH_WITH_SUM_FIXED,
      'src/format.js': [
        String(FEATURE_CHANGES['src/format.js']),
        'export function formatPercent(ratio) {',
        '  return `${ratio * 100}%`;',
        '}',
        '',
      ].join('\n'),
    };
    const secondHead = await pr.push(headAfterPush, 'Fix sum for strings; add formatPercent');
    expect(secondHead).not.toBe(firstHead);

    // What GitHub lists now: Patchling's first review and its comments, served back as
    // posted, and a person's review and comment that quote Patchling's markers (ignored).
    const human = githubUser('octocat');
    const humanReview: ListedReview = {
      ...firstReview.listed,
      id: 95,
      node_id: 'PRR_kwDO95',
      user: human,
      body: `Looks fine to me.\n\n${reviewMarker(secondHead)}`,
      author_association: 'OWNER',
    };
    const humanComment: ListedReviewComment = {
      ...(firstReview.comments[2] as ListedReviewComment),
      id: 1500,
      node_id: 'PRRC_kwDO1500',
      pull_request_review_id: 95,
      user: human,
      body: `Is this right?\n\n${marker(PERCENT)}`,
      line: 10,
      author_association: 'OWNER',
    };
    mockReviewRun(pr, {
      headSha: secondHead,
      checkRunId: 4322,
      history: {
        reviews: [firstReview.listed, humanReview],
        comments: [...firstReview.comments, humanComment],
      },
    });
    const second = github.reviews(OWNER, REPO, NUMBER, {
      times: 1,
      firstId: 81,
      firstCommentId: 2001,
    });
    github.reviewComments(OWNER, REPO, NUMBER, 81, second);
    // The push rewrote sum's lines: its thread is resolved, with a reply. mean's code moved
    // and price's is untouched (both in files the push changed): their threads stay open.
    // parse.js is not in the push: its thread is not even looked at.
    const graphql = mockThreads(firstReview.comments, [resolvedThread]);
    const replies = acceptReplies([1001]);
    await deliver('synchronize', pr, firstHead);
    const jobs = await app.settled(4, 45_000);
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);

    // The model's second task: what changed since the first review, and nothing else.
    expect(model.requests).toHaveLength(2);
    const task = taskOf(model.requests[1]);
    expect(task).toContain(`It was reviewed before at ${firstHead.slice(0, 7)}`);
    expect(task).toContain('-  const total = a + b;');
    expect(task).toContain('+  return Number(a) + Number(b);');
    expect(task).toContain('+export function formatPercent(ratio) {');
    expect(task).not.toContain('diff --git a/src/parse.js');
    expect(task).not.toContain('diff --git a/src/legacy.js');
    expect(task).not.toContain('-  return a - b;');
    expect(task).not.toContain('+  let total = 0;');

    // The review: only the new findings, anchored on the pull request's whole diff (parse.js
    // is not in this push); the others were posted before.
    const sha7 = firstHead.slice(0, 7);
    expect(second.requests).toEqual([
      {
        commit_id: secondHead,
        event: 'COMMENT',
        body: [
          `Reviewed the changes since ${sha7}.`,
          secondSummary,
          'Reviewed 2 files.',
          reviewMarker(secondHead),
        ].join('\n\n'),
        comments: [
          { path: 'src/format.js', line: 10, side: 'RIGHT', body: commentBody(PERCENT) },
          { path: 'src/parse.js', line: 3, side: 'RIGHT', body: commentBody(PARSE_NAN) },
        ],
      },
    ]);

    expect(graphql).toEqual([LIST_THREADS, resolveThread('PRRT_1001')]);
    expect(replies).toEqual([{ body: `Addressed in ${secondHead.slice(0, 7)}.` }]);
    const outcome =
      'Reviewed: 5 findings. Posted: 2 inline comments, 0 in the summary, 3 already posted, 1 thread resolved.';
    expect(jobs[3]?.result).toMatchObject({ status: 'completed', message: outcome });
    const final = finalCheckRun(4322);
    expect(final).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-81`,
    });
    expect(final?.output?.summary).toContain(outcome);
  }, 90_000);

  /**
   * A first review of the whole pull request, in which the model reports `firstFindings`,
   * then a push that fixes sum. The model's second answer is `secondAnswer`; the GitHub
   * mocks of the second run are the caller's.
   */
  async function reviewThenFixSum(
    firstFindings: readonly Finding[],
    secondAnswer: string,
    config?: string,
  ) {
    const token = github.installationToken;
    const pr = await createMultiFilePrRepo({ owner: OWNER, repo: REPO, number: NUMBER, token });
    repo = pr;
    const firstHead = pr.headSha;
    const scripted = await startScriptedModelServer([
      step.text(answer('Reworks the helpers.', firstFindings)),
      step.text(secondAnswer),
    ]);
    model = scripted;
    mockReviewRun(pr, { headSha: firstHead, checkRunId: 4321, ...(config ? { config } : {}) });
    const first = github.reviews(OWNER, REPO, NUMBER, { times: 1, firstId: 80 });
    github.reviewComments(OWNER, REPO, NUMBER, 80, first);
    const started = await startApp(pr);
    app = started;
    await deliver('opened', pr);
    const jobs = await started.settled(2, 45_000);
    expect(jobs.map((job) => job.status)).toEqual(['succeeded', 'succeeded']);
    const [firstReview, ...others] = first.submitted();
    if (firstReview === undefined) throw new Error('no first review');
    expect(others).toEqual([]);
    expect(firstReview.listed.body).toContain(reviewMarker(firstHead));
    const secondHead = await pr.push({ 'src/math.js': MATH_WITH_SUM_FIXED }, 'Fix sum for strings');
    expect(secondHead).not.toBe(firstHead);
    return { pr, app: started, model: scripted, firstHead, secondHead, firstReview };
  }

  /** The id of the `/patchling review` comment. */
  const COMMAND_ID = 3_100_200;
  const plain = (f: Finding): Finding => ({ ...f, suggestion: null });

  it('reviews the whole pull request on /patchling review: resolves the thread of a fixed finding, leaves open those still reported or left out by the settings', async () => {
    const [sum, mean, price] = [SUM, MEAN, PRICE].map(plain) as [Finding, Finding, Finding];
    // New, in a file the push did not touch: only a review of the whole change sees it.
    const parse: Finding = { ...plain(PARSE), priority: 'P1' };
    const secondSummary = 'Sum is fixed; mean still divides by zero; parseAmount drops the cents.';
    const { pr, app, model, firstHead, secondHead, firstReview } = await reviewThenFixSum(
      [sum, mean, price],
      // sum is gone; mean is still there (its lines moved up); price is still there, a P2,
      // which the repository's settings now leave out.
      answer(secondSummary, [{ ...mean, start_line: 19, end_line: 21 }, price, parse]),
    );
    expect(firstReview.comments.map((c) => [c.id, c.path, c.line])).toEqual([
      [1001, 'src/math.js', 4],
      [1002, 'src/math.js', 22],
      [1003, 'src/format.js', 2],
    ]);

    // GitHub lists the first review and its comments back; each comment starts a thread.
    mockReviewRun(pr, {
      headSha: secondHead,
      checkRunId: 4322,
      config: 'review:\n  min_priority: P1\n',
      history: { reviews: [firstReview.listed], comments: [...firstReview.comments] },
    });
    const second = github.reviews(OWNER, REPO, NUMBER, {
      times: 1,
      firstId: 81,
      firstCommentId: 2001,
    });
    github.reviewComments(OWNER, REPO, NUMBER, 81, second);
    const graphql = mockThreads(firstReview.comments, [resolvedThread]);
    const replies = acceptReplies([1001]);
    const writesBefore = github.writes().length;

    await deliverReviewCommand(COMMAND_ID);
    const jobs = await app.settled(4, 45_000);
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);
    expect(jobs[3]?.payload).toEqual({
      kind: 'review',
      repo: { owner: OWNER, repo: REPO, installationId: TEST_INSTALLATION.id },
      pullNumber: NUMBER,
      requester: { login: REQUESTER.login, type: 'User' },
      commentId: COMMAND_ID,
      trigger: 'comment',
    });

    // The model's second task: the whole pull request against its merge base, not what
    // changed since the first review (which a push would have been shown).
    expect(model.requests).toHaveLength(2);
    const task = taskOf(model.requests[1]);
    expect(task).toContain('Its diff against the merge base follows.');
    expect(task).not.toContain(`reviewed before at ${firstHead.slice(0, 7)}`);
    for (const file of ['src/format.js', 'src/legacy.js', 'src/math.js', 'src/parse.js']) {
      expect(task).toContain(`diff --git a/${file} b/${file}`);
    }
    expect(task).toContain('-  return a - b;');
    expect(task).toContain('+  return Number(a) + Number(b);');
    expect(task).toContain('+export function parseAmount(text) {');
    expect(task).not.toContain('-  const total = a + b;');

    // Only the new finding is posted: mean's was posted before, price's is left out.
    expect(second.requests).toEqual([
      {
        commit_id: secondHead,
        event: 'COMMENT',
        body: [
          secondSummary,
          "1 more finding was left out by the repository's settings (priority, confidence, ignored paths, comment limit).",
          'Reviewed 4 files.',
          reviewMarker(secondHead),
        ].join('\n\n'),
        comments: [
          {
            path: 'src/parse.js',
            start_line: 2,
            start_side: 'RIGHT',
            line: 4,
            side: 'RIGHT',
            body: commentBody(parse),
          },
        ],
      },
    ]);

    // sum's thread is resolved; mean's (still reported) and price's (left out) stay open.
    expect(graphql).toEqual([LIST_THREADS, resolveThread('PRRT_1001')]);
    expect(
      github
        .writes()
        .slice(writesBefore)
        .filter((call) => call.method !== 'PATCH')
        .map((call) => `${call.method} ${call.path}`),
    ).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/comments/${COMMAND_ID}/reactions`,
      `POST /repos/${OWNER}/${REPO}/check-runs`,
      `POST ${PULL}/reviews`,
      'POST /graphql',
      `POST ${PULL}/comments/1001/replies`,
      'POST /graphql',
    ]);
    expect(replies).toEqual([{ body: `Addressed in ${secondHead.slice(0, 7)}.` }]);
    expect(github.writes()[writesBefore]?.body).toEqual({ content: 'eyes' });

    const outcome =
      'Reviewed: 2 findings. Posted: 1 inline comment, 0 in the summary, 1 already posted, 1 thread resolved.';
    expect(jobs[3]?.result).toMatchObject({ status: 'completed', message: outcome });
    const final = finalCheckRun(4322);
    expect(final).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-81`,
    });
    expect(final?.output?.summary).toContain(outcome);
  }, 90_000);

  it('dismisses its earlier "changes requested" when a complete review finds nothing at that level', async () => {
    const config = 'review:\n  request_changes_at: P1\n';
    const sum = plain(SUM);
    const { pr, app, secondHead, firstReview } = await reviewThenFixSum(
      [sum],
      answer('Sum is fixed.', []),
      config,
    );
    expect(firstReview.request.event).toBe('REQUEST_CHANGES');
    expect(firstReview.listed.state).toBe('CHANGES_REQUESTED');

    mockReviewRun(pr, {
      headSha: secondHead,
      checkRunId: 4322,
      config,
      history: { reviews: [firstReview.listed], comments: [...firstReview.comments] },
    });
    const second = github.reviews(OWNER, REPO, NUMBER, { times: 1, firstId: 81 });
    mockThreads(firstReview.comments, [resolvedThread]);
    acceptReplies([1001]);
    const dismissals: unknown[] = [];
    github.write(
      'PUT',
      '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals',
      { owner: OWNER, repo: REPO, pull_number: NUMBER, review_id: 80 },
      (body) => {
        dismissals.push(body);
        return [200, { ...firstReview.listed, state: 'DISMISSED' }];
      },
    );

    await deliverReviewCommand(COMMAND_ID);
    const jobs = await app.settled(4, 45_000);
    expect(jobs.map((job) => job.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(second.requests.map((r) => r.event)).toEqual(['COMMENT']);
    expect(dismissals).toEqual([
      {
        message: `Patchling reviewed ${secondHead.slice(0, 7)} in full and found nothing at P1 or above.`,
        event: 'DISMISS',
      },
    ]);
    expect(jobs[3]?.result).toMatchObject({
      message: expect.stringContaining('1 earlier change request dismissed'),
    });
  }, 90_000);

  it('keeps its earlier "changes requested" after an incremental review', async () => {
    const config = 'review:\n  request_changes_at: P1\n';
    const { pr, app, secondHead, firstReview } = await reviewThenFixSum(
      [plain(SUM)],
      answer('Sum is fixed.', []),
      config,
    );
    mockReviewRun(pr, {
      headSha: secondHead,
      checkRunId: 4322,
      config,
      history: { reviews: [firstReview.listed], comments: [...firstReview.comments] },
    });
    const second = github.reviews(OWNER, REPO, NUMBER, { times: 1, firstId: 81 });
    // The push rewrote sum's lines: the incremental review resolves its thread all the same.
    mockThreads(firstReview.comments, [resolvedThread]);
    acceptReplies([1001]);

    await deliver('synchronize', pr, firstReview.listed.commit_id);
    const jobs = await app.settled(4, 45_000);
    expect(jobs.map((job) => job.status)).toContain('succeeded');
    expect(second.requests).toHaveLength(1);
    // No PUT .../dismissals was asked for: nock would have listed it as unmatched.
    expect(github.calls.filter((call) => call.path.endsWith('/dismissals'))).toEqual([]);
  }, 90_000);

  it('logs a thread GitHub will not resolve, resolves the others, and completes the review', async () => {
    const [sum, mean, price, parse] = [SUM, MEAN, PRICE, PARSE].map(plain) as [
      Finding,
      Finding,
      Finding,
      Finding,
    ];
    const secondSummary = 'Sum is fixed and parseAmount is fine; mean still divides by zero.';
    const { pr, app, secondHead, firstReview } = await reviewThenFixSum(
      [sum, mean, price, parse],
      // sum and parse are gone; mean and price are still there.
      answer(secondSummary, [{ ...mean, start_line: 19, end_line: 21 }, price]),
    );
    expect(firstReview.comments.map((c) => c.id)).toEqual([1001, 1002, 1003, 1004]);

    mockReviewRun(pr, {
      headSha: secondHead,
      checkRunId: 4322,
      history: { reviews: [firstReview.listed], comments: [...firstReview.comments] },
    });
    const second = github.reviews(OWNER, REPO, NUMBER, { times: 1, firstId: 81 });
    // GitHub refuses sum's thread (a GraphQL error, in a 200 as GitHub sends them) and
    // resolves parse's.
    const refused = (threadId: string): Reply => [
      200,
      {
        data: { resolveReviewThread: null },
        errors: [
          {
            type: 'FORBIDDEN',
            path: ['resolveReviewThread'],
            locations: [{ line: 2, column: 3 }],
            message: `Resource not accessible by integration (${threadId})`,
          },
        ],
      },
    ];
    const graphql = mockThreads(firstReview.comments, [refused, resolvedThread]);
    // Each thread gets its reply before it is resolved, the refused one too.
    const replies = acceptReplies([1001, 1004]);

    await deliverReviewCommand(COMMAND_ID);
    const jobs = await app.settled(4, 45_000);
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);

    // Nothing new to post: the review says so, with both findings already on the PR.
    expect(second.requests).toEqual([
      {
        commit_id: secondHead,
        event: 'COMMENT',
        body: [secondSummary, 'Reviewed 4 files.', reviewMarker(secondHead)].join('\n\n'),
        comments: [],
      },
    ]);
    expect(graphql).toEqual([LIST_THREADS, resolveThread('PRRT_1001'), resolveThread('PRRT_1004')]);
    expect(replies).toHaveLength(2);
    const warnings = app.logs.filter(
      (entry) => entry.msg === 'warning' && entry.jobId === jobs[3]?.id,
    );
    expect(warnings.map((entry) => entry.warning)).toEqual([
      'could not resolve review thread PRRT_1001: Request failed due to following response errors:\n - Resource not accessible by integration (PRRT_1001)',
    ]);

    const outcome =
      'Reviewed: 2 findings. Posted: 0 inline comments, 0 in the summary, 2 already posted, 1 thread resolved.';
    expect(jobs[3]?.result).toMatchObject({ status: 'completed', message: outcome });
    const final = finalCheckRun(4322);
    expect(final).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-81`,
    });
    expect(final?.output?.summary).toContain(outcome);
  }, 90_000);

  it('keeps the other comments inline when GitHub refuses one, and puts the refused one in the summary', async () => {
    const token = github.installationToken;
    const pr = await createMultiFilePrRepo({ owner: OWNER, repo: REPO, number: NUMBER, token });
    repo = pr;
    const summary = 'Reworks the helpers. Three problems.';
    const [sum, price, parse] = [SUM, PRICE, PARSE].map((f) => ({ ...f, suggestion: null })) as [
      Finding,
      Finding,
      Finding,
    ];
    model = await startScriptedModelServer([step.text(answer(summary, [sum, price, parse]))]);
    mockReviewRun(pr, { headSha: pr.headSha, checkRunId: 4321 });
    // GitHub's idea of src/format.js's diff differs from ours: it refuses any comment there.
    const refuse = (comment: ReviewCommentRequest) => comment.path === 'src/format.js';
    const reviews = github.reviews(OWNER, REPO, NUMBER, { times: 6, firstId: 81, refuse });
    github.deletePendingReview(OWNER, REPO, NUMBER, 81, reviews);
    github.deletePendingReview(OWNER, REPO, NUMBER, 82, reviews);
    github.reviewComments(OWNER, REPO, NUMBER, 83, reviews);

    app = await startApp(pr);
    await deliver('opened', pr);
    const jobs = await app.settled(2, 45_000);
    expect(jobs.map((job) => [job.kind, job.status, job.error])).toEqual([
      ['delivery', 'succeeded', undefined],
      ['review', 'succeeded', undefined],
    ]);

    const where = (i: number) =>
      (reviews.requests[i]?.comments ?? []).map((comment) => `${comment.path}:${comment.line}`);
    expect(reviews.requests.map((_, i) => where(i))).toEqual([
      ['src/math.js:4', 'src/format.js:2', 'src/parse.js:4'], // the review: 422
      ['src/math.js:4', 'src/format.js:2'], // probe: 422
      ['src/math.js:4'], // probe: pending review 81, deleted
      ['src/format.js:2'], // probe: 422, the refused comment
      ['src/parse.js:4'], // probe: pending review 82, deleted
      ['src/math.js:4', 'src/parse.js:4'], // the review: 83
    ]);
    // Probes are pending reviews, seen by nobody, and deleted.
    for (const i of [1, 2, 3, 4]) {
      expect(reviews.requests[i]).not.toHaveProperty('event');
      expect(reviews.requests[i]).not.toHaveProperty('body');
    }
    expect(
      reviews.created.map((review) => [review.id, review.listed.state, review.deleted]),
    ).toEqual([
      [81, 'PENDING', true],
      [82, 'PENDING', true],
      [83, 'COMMENTED', false],
    ]);
    const posted = reviews.requests[5];
    expect(posted?.event).toBe('COMMENT');
    expect(posted?.commit_id).toBe(pr.headSha);
    expect(posted?.comments).toEqual([
      reviews.requests[0]?.comments?.[0],
      reviews.requests[0]?.comments?.[2],
    ]);
    expect(posted?.comments).toEqual([
      {
        path: 'src/math.js',
        start_line: 3,
        start_side: 'RIGHT',
        line: 4,
        side: 'RIGHT',
        body: commentBody(sum),
      },
      {
        path: 'src/parse.js',
        start_line: 2,
        start_side: 'RIGHT',
        line: 4,
        side: 'RIGHT',
        body: commentBody(parse),
      },
    ]);
    expect(posted?.body).toBe(
      [
        summary,
        'Reviewed 4 files.',
        [
          '**Findings outside the diff**',
          summaryEntry(
            price,
            'src/format.js:2',
            'GitHub refused the comment: Line could not be resolved',
          ),
        ].join('\n\n'),
        reviewMarker(pr.headSha),
      ].join('\n\n'),
    );

    const outcome = 'Reviewed: 3 findings. Posted: 2 inline comments, 1 in the summary.';
    expect(jobs[1]?.result).toMatchObject({ status: 'completed', message: outcome });
    expect(finalCheckRun(4321)).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/${OWNER}/${REPO}/pull/${NUMBER}#pullrequestreview-83`,
    });
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        msg: 'warning',
        warning: 'GitHub refused the review (Line could not be resolved); checking its comments',
      }),
    );
  }, 60_000);
});
