import type { RoutedJob, RepoRef, RouteDecision } from './job.js';

/**
 * The three outcomes of routing (run, ignore, refuse), built in one place so every event's
 * router answers in the same shape.
 */

export function run(job: RoutedJob, acknowledgeCommentId?: number): RouteDecision {
  return acknowledgeCommentId === undefined
    ? { action: 'run', job }
    : { action: 'run', job, acknowledgeCommentId };
}

export function ignore(reason: string): RouteDecision {
  return { action: 'ignore', reason };
}

export function refuse(repo: RepoRef, issueNumber: number, reason: string): RouteDecision {
  return { action: 'refuse', reason, repo, issueNumber };
}
