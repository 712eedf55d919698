import type { RepoRef, RoutedJob, RouteDecision } from './job.js';
import { parseCommand } from './parse-command.js';
import { ignore, refuse, run } from './route-decision.js';
import type { RouteContext } from './route-input.js';
import {
  IssueCommentEvent,
  parse,
  ReviewCommentEvent,
  type Comment,
  type Parsed,
  type PullRequest,
} from './route-payloads.js';
import { checkActor, repoRef, reviewOf, toRequester } from './route-refs.js';

/**
 * issue_comment / pull_request_review_comment created → the command in it (`/patchling …`,
 * `@patchling …`; see parse-command.ts), acknowledged with 👀, or a short refusal. Kept
 * apart: commands are the one route that answers people, with the most cases.
 */

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

export function routeComment(
  ctx: RouteContext,
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
      {
        kind: 'scan',
        repo,
        ref,
        trigger: 'comment',
        issueNumber: number,
        ...(command.scope ? { scope: command.scope } : {}),
        ...asked,
      },
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
  ctx: RouteContext,
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
