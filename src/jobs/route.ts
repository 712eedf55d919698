/**
 * The one routing table: (event, payload, repo config) → a Job, or ignored because …, or
 * refused with a short answer. Pure: no network, no clock. The payload fields relied on are
 * validated here, at the border; everything else in the payload is ignored.
 *
 * - pull_request opened, reopened, ready_for_review, synchronize → review, when review.auto
 *   is on (drafts only with review.drafts).
 * - issue_comment / pull_request_review_comment created → the command in it
 *   (`/patchling …`, `@patchling …`; see parse-command.ts), acknowledged with 👀.
 * - issues labeled with fix.label → fix.
 * - schedule, workflow_dispatch (the Action) → scan.
 * - CONFIGURED_SCHEDULE_EVENT (the App's timer, for scan.schedule) → scan.
 * - anything else → ignored, with the reason.
 *
 * Bots (account type `Bot`, never a login suffix) are ignored unless listed in bots.allow,
 * and Patchling's own account always is.
 */
import { z } from 'zod';
import type { RoutedJob, RepoRef, Requester, RouteDecision } from './job.js';
import { parseCommand } from './parse-command.js';
import { defaultRepoConfig, formatConfigProblems, REPO_CONFIG_PATH } from './repo-config.js';
import type { RepoConfig } from './repo-config.js';

/** The event name a trigger uses when the App's timer fires for a repository's scan.schedule. */
export const CONFIGURED_SCHEDULE_EVENT = 'patchling.configured_schedule';

export interface RouteInput {
  /** The `x-github-event` header, or GITHUB_EVENT_NAME in the Action. */
  readonly name: string;
  readonly payload: unknown;
  /** The parsed `.github/patchling.yml`, or its problems when it is invalid. */
  readonly config: RepoConfig | { readonly problems: readonly string[] };
  /** Patchling's own login, e.g. "patchling[bot]" (or "github-actions[bot]" in the Action). */
  readonly botLogin: string;
  /** The name in commands: "/patchling review", "@patchling fix". */
  readonly commandName: string;
  /** Overrides the payload's installation id. */
  readonly installationId?: number;
  /**
   * The Action's repository and ref (GITHUB_REPOSITORY, GITHUB_REF), for a `schedule`
   * payload, which may carry nothing but the cron string.
   */
  readonly actionRepository?: {
    readonly owner: string;
    readonly repo: string;
    readonly ref: string;
  };
}

const Account = z.object({
  login: z.string().min(1),
  type: z.enum(['User', 'Bot', 'Organization']),
});
const Repository = z.object({
  name: z.string().min(1),
  owner: z.object({ login: z.string().min(1) }),
  full_name: z.string().min(1),
  default_branch: z.string().min(1),
});
const Common = {
  repository: Repository,
  sender: Account,
  installation: z.object({ id: z.number().int() }).nullish(),
};
const PullRequest = z.object({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  draft: z.boolean().optional(),
  head: z.object({
    sha: z.string().min(1),
    ref: z.string().min(1),
    repo: z.object({ full_name: z.string().min(1) }).nullable(),
  }),
  base: z.object({ ref: z.string().min(1), repo: z.object({ full_name: z.string().min(1) }) }),
});
const Issue = z.object({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  pull_request: z.unknown().optional(),
});
const Comment = z.object({ id: z.number().int(), body: z.string().nullable(), user: Account });

const PullRequestEvent = z.object({ pull_request: PullRequest, ...Common });
const IssueCommentEvent = z.object({ issue: Issue, comment: Comment, ...Common });
const ReviewCommentEvent = z.object({ pull_request: PullRequest, comment: Comment, ...Common });
const IssuesEvent = z.object({ issue: Issue, label: z.object({ name: z.string() }), ...Common });
// schedule (Action): may hold only the cron string. workflow_dispatch: ref, repository,
// sender. The App's configured schedule: repository and installation.
const ScanEvent = z.object({
  ref: z.string().min(1).optional(),
  repository: Repository.optional(),
  sender: Account.optional(),
  installation: Common.installation,
});
const WithAction = z.object({ action: z.string() });

type Account = z.infer<typeof Account>;
type PullRequest = z.infer<typeof PullRequest>;
type Comment = z.infer<typeof Comment>;
type Located = { repository: Repository; installation?: { id: number } | null | undefined };
type Repository = z.infer<typeof Repository>;

interface Context {
  readonly input: RouteInput;
  readonly config: RepoConfig;
}

/** A comment, wherever it was written. */
interface CommentOn {
  readonly repo: RepoRef;
  readonly number: number;
  readonly onPull: boolean;
  readonly open: boolean;
  readonly defaultBranch: string;
  /** Present when the payload carries the pull request (review comments). */
  readonly pr?: PullRequest;
  readonly comment: Comment;
}

const REVIEW_ACTIONS: readonly string[] = ['opened', 'reopened', 'ready_for_review', 'synchronize'];

export function routeEvent(input: RouteInput): RouteDecision {
  const invalid = 'problems' in input.config ? input.config.problems : undefined;
  // With an invalid file, decide as if by default only to know whether, and where, to answer.
  const config = 'problems' in input.config ? defaultRepoConfig() : input.config;
  const decision = routeWithConfig({ input, config });
  if (invalid === undefined || decision.action !== 'run') return decision;
  return refuseForInvalidConfig(decision.job, invalid, input);
}

function routeWithConfig(ctx: Context): RouteDecision {
  const { name, payload } = ctx.input;
  switch (name) {
    case 'pull_request':
      return withAction(name, payload, (action) => routePullRequest(ctx, action));
    case 'issue_comment':
    case 'pull_request_review_comment':
      return withAction(name, payload, (action) => routeComment(ctx, name, action));
    case 'issues':
      return withAction(name, payload, (action) => routeIssues(ctx, action));
    case 'schedule':
    case 'workflow_dispatch':
    case CONFIGURED_SCHEDULE_EVENT:
      return routeScan(ctx, name);
    default:
      return ignore(`Patchling does not handle ${name} events`);
  }
}

function routePullRequest(ctx: Context, action: string): RouteDecision {
  if (!REVIEW_ACTIONS.includes(action)) return ignore(`pull_request.${action} is not routed`);
  const event = parse(PullRequestEvent, ctx.input.payload, 'pull_request');
  if (!event.ok) return event.decision;
  const { pull_request: pr, sender } = event.data;
  const unwanted = checkActor(ctx, sender, 'pull request event');
  if (unwanted !== undefined) return ignore(unwanted);
  if (pr.state !== 'open') return ignore(`pull request #${pr.number} is closed`);
  if (!ctx.config.review.auto) return ignore('automatic reviews are off (review.auto: false)');
  if (pr.draft === true && !ctx.config.review.drafts) {
    return ignore(`pull request #${pr.number} is a draft (review.drafts: false)`);
  }
  if (pr.head.repo === null) return ignore(`the head repository of #${pr.number} was deleted`);
  const repo = repoRef(ctx, event.data);
  return run({ ...reviewOf(repo, pr, toRequester(sender)), trigger: 'pull_request' });
}

function routeComment(
  ctx: Context,
  name: 'issue_comment' | 'pull_request_review_comment',
  action: string,
): RouteDecision {
  if (action !== 'created') return ignore(`${name}.${action}: only new comments are read`);
  const on = readComment(ctx, name);
  if (!on.ok) return on.decision;
  const { comment, repo, number } = on.data;
  const unwanted = checkActor(ctx, comment.user, 'comment');
  if (unwanted !== undefined) return ignore(unwanted);
  const command = parseCommand(comment.body ?? '', ctx.input.commandName);
  if (command === undefined) return ignore('the comment is not addressed to Patchling');
  const requester = toRequester(comment.user);
  const asked = { requester, commentId: comment.id };
  const answer = (reason: string) => refuse(repo, number, `@${requester.login}, ${reason}`);

  if (command.kind === 'help') {
    const note = command.note === undefined ? {} : { note: command.note };
    return run({ kind: 'help', repo, issueNumber: number, ...asked, ...note }, comment.id);
  }
  if (command.kind === 'scan') {
    // The default branch, wherever it was asked: a scan is of the repository, not the PR.
    const ref = `refs/heads/${on.data.defaultBranch}`;
    return run(
      { kind: 'scan', repo, ref, trigger: 'comment', issueNumber: number, ...asked },
      comment.id,
    );
  }
  const instructions = command.text === undefined ? {} : { instructions: command.text };
  const what = on.data.onPull ? 'pull request' : 'issue';
  if (command.kind === 'review' && !on.data.onPull) {
    return answer(`/${ctx.input.commandName} review works on pull requests, and this is an issue.`);
  }
  if (!on.data.open) {
    return answer(`this ${what} is closed, so Patchling will not ${command.kind} it.`);
  }
  if (command.kind === 'review') {
    const { pr } = on.data;
    if (pr?.head.repo === null)
      return answer('the head repository of this pull request was deleted.');
    const review =
      pr === undefined
        ? { kind: 'review' as const, repo, pullNumber: number }
        : reviewOf(repo, pr, requester);
    return run({ ...review, ...asked, trigger: 'comment', ...instructions }, comment.id);
  }
  const target = on.data.onPull ? 'pull_request' : 'issue';
  const fix: RoutedJob = {
    kind: 'fix',
    repo,
    issueNumber: number,
    target,
    ...asked,
    trigger: 'comment',
    ...instructions,
  };
  return run(fix, comment.id);
}

function readComment(
  ctx: Context,
  name: 'issue_comment' | 'pull_request_review_comment',
): Parsed<CommentOn> {
  if (name === 'issue_comment') {
    const event = parse(IssueCommentEvent, ctx.input.payload, name);
    if (!event.ok) return event;
    const { issue, comment } = event.data;
    const repo = repoRef(ctx, event.data);
    const onPull = issue.pull_request !== undefined && issue.pull_request !== null;
    return {
      ok: true,
      data: {
        repo,
        number: issue.number,
        onPull,
        open: issue.state === 'open',
        defaultBranch: event.data.repository.default_branch,
        comment,
      },
    };
  }
  const event = parse(ReviewCommentEvent, ctx.input.payload, name);
  if (!event.ok) return event;
  const { pull_request: pr, comment } = event.data;
  const repo = repoRef(ctx, event.data);
  return {
    ok: true,
    data: {
      repo,
      number: pr.number,
      onPull: true,
      open: pr.state === 'open',
      defaultBranch: event.data.repository.default_branch,
      pr,
      comment,
    },
  };
}

function routeIssues(ctx: Context, action: string): RouteDecision {
  if (action !== 'labeled') return ignore(`issues.${action} is not routed`);
  const event = parse(IssuesEvent, ctx.input.payload, 'issues');
  if (!event.ok) return event.decision;
  const { issue, label, sender } = event.data;
  const wanted = ctx.config.fix.label;
  if (!sameName(label.name, wanted)) {
    return ignore(`the label "${label.name}" is not the fix label "${wanted}"`);
  }
  const unwanted = checkActor(ctx, sender, 'label');
  if (unwanted !== undefined) return ignore(unwanted);
  if (issue.pull_request !== undefined && issue.pull_request !== null) {
    return ignore(`#${issue.number} is a pull request; the fix label works on issues`);
  }
  if (issue.state !== 'open') return ignore(`issue #${issue.number} is closed`);
  const repo = repoRef(ctx, event.data);
  const requester = toRequester(sender);
  return run({
    kind: 'fix',
    repo,
    issueNumber: issue.number,
    target: 'issue',
    requester,
    trigger: 'label',
  });
}

function routeScan(
  ctx: Context,
  name: 'schedule' | 'workflow_dispatch' | typeof CONFIGURED_SCHEDULE_EVENT,
): RouteDecision {
  const event = parse(ScanEvent, ctx.input.payload, name);
  if (!event.ok) return event.decision;
  const { repository } = event.data;
  // A schedule's sender is whoever last touched the workflow, not someone asking now.
  const sender = name === 'schedule' ? undefined : event.data.sender;
  const fallback = ctx.input.actionRepository;
  if (name === CONFIGURED_SCHEDULE_EVENT && ctx.config.scan.schedule === undefined) {
    return ignore('no scan.schedule is configured');
  }
  if (sender !== undefined) {
    const unwanted = checkActor(ctx, sender, name);
    if (unwanted !== undefined) return ignore(unwanted);
  }
  const repo =
    repository !== undefined
      ? repoRef(ctx, { repository, installation: event.data.installation })
      : fallback && withInstallation(fallback, ctx.input.installationId);
  if (repo === undefined) return ignore(`the ${name} payload names no repository`);
  const ref =
    event.data.ref ??
    fallback?.ref ??
    (repository === undefined ? undefined : `refs/heads/${repository.default_branch}`);
  if (ref === undefined) return ignore(`the ${name} payload names no ref`);
  const trigger = name === CONFIGURED_SCHEDULE_EVENT ? 'configured_schedule' : name;
  const requester = sender === undefined ? {} : { requester: toRequester(sender) };
  return run({ kind: 'scan', repo, ref, trigger, ...requester });
}

/** Why an account must not trigger anything, or undefined when it may. */
function checkActor(ctx: Context, account: Account, what: string): string | undefined {
  if (sameName(account.login, ctx.input.botLogin)) return `the ${what} is Patchling's own`;
  // Only GitHub's account type tells a bot: "robot-fan" is a person, and a login ending
  // in "[bot]" proves nothing. The allowlist is an exact (case-insensitive) login match.
  if (account.type === 'Bot' && !ctx.config.bots.allow.some((l) => sameName(l, account.login))) {
    return `${account.login} is a bot not listed in bots.allow`;
  }
  return undefined;
}

/** A review of the head and base the payload shows. */
function reviewOf(repo: RepoRef, pr: PullRequest, requester: Requester) {
  const headRepo = pr.head.repo?.full_name ?? '';
  return {
    kind: 'review' as const,
    repo,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    baseRef: pr.base.ref,
    headRepo,
    isFork: !sameName(headRepo, pr.base.repo.full_name),
    requester,
  };
}

function refuseForInvalidConfig(
  job: RoutedJob,
  problems: readonly string[],
  input: RouteInput,
): RouteDecision {
  const quiet = ignore(`${REPO_CONFIG_PATH} is invalid: ${problems.join('; ')}`);
  if (job.kind === 'scan') return quiet;
  if (job.kind === 'review' && job.trigger === 'pull_request') {
    // One answer when the pull request opens, not one per push.
    return actionOf(input.payload) === 'synchronize'
      ? quiet
      : refuse(job.repo, job.pullNumber, formatConfigProblems(problems));
  }
  const number = job.kind === 'review' ? job.pullNumber : job.issueNumber;
  return refuse(job.repo, number, `@${job.requester.login}, ${formatConfigProblems(problems)}`);
}

function repoRef(ctx: Context, event: Located): RepoRef {
  const ref = { owner: event.repository.owner.login, repo: event.repository.name };
  return withInstallation(ref, ctx.input.installationId ?? event.installation?.id);
}

function withInstallation(ref: { owner: string; repo: string }, id: number | undefined): RepoRef {
  const base = { owner: ref.owner, repo: ref.repo };
  return id === undefined ? base : { ...base, installationId: id };
}

function toRequester(account: Account): Requester {
  return { login: account.login, type: account.type };
}

/** Logins, labels and repository names are case-insensitive on GitHub. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function withAction(
  name: string,
  payload: unknown,
  route: (action: string) => RouteDecision,
): RouteDecision {
  const action = actionOf(payload);
  return action === undefined ? ignore(`the ${name} payload has no action`) : route(action);
}

function actionOf(payload: unknown): string | undefined {
  const parsed = WithAction.safeParse(payload);
  return parsed.success ? parsed.data.action : undefined;
}

type Parsed<T> = { ok: true; data: T } | { ok: false; decision: RouteDecision };

function parse<T>(schema: z.ZodType<T>, payload: unknown, name: string): Parsed<T> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue === undefined ? '' : ` (${issue.path.join('.')}: ${issue.message})`;
  return {
    ok: false,
    decision: ignore(`the ${name} payload lacks fields Patchling relies on${where}`),
  };
}

function run(job: RoutedJob, acknowledgeCommentId?: number): RouteDecision {
  return acknowledgeCommentId === undefined
    ? { action: 'run', job }
    : { action: 'run', job, acknowledgeCommentId };
}

function ignore(reason: string): RouteDecision {
  return { action: 'ignore', reason };
}

function refuse(repo: RepoRef, issueNumber: number, reason: string): RouteDecision {
  return { action: 'refuse', reason, repo, issueNumber };
}
