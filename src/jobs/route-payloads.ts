import { z } from 'zod';
import type { RouteDecision } from './job.js';
import { ignore } from './route-decision.js';

/**
 * The payload fields the routing table relies on, validated at the border (zod), and the
 * parse that turns a payload lacking them into an ignore. Everything else in a payload is
 * ignored. Kept apart so every event's router reads the same shapes.
 */

export const Account = z.object({
  login: z.string().min(1),
  type: z.enum(['User', 'Bot', 'Organization']),
});
export const Repository = z.object({
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
export const PullRequest = z.object({
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
export const Comment = z.object({
  id: z.number().int(),
  body: z.string().nullable(),
  user: Account,
});

export const PullRequestEvent = z.object({ pull_request: PullRequest, ...Common });
export const IssueCommentEvent = z.object({ issue: Issue, comment: Comment, ...Common });
export const ReviewCommentEvent = z.object({
  pull_request: PullRequest,
  comment: Comment,
  ...Common,
});
export const IssuesEvent = z.object({
  issue: Issue,
  label: z.object({ name: z.string() }),
  ...Common,
});
// schedule (Action): may hold only the cron string. workflow_dispatch: ref, repository,
// sender. The App's configured schedule: repository and installation.
export const ScanEvent = z.object({
  ref: z.string().min(1).optional(),
  repository: Repository.optional(),
  sender: Account.optional(),
  installation: Common.installation,
});
const WithAction = z.object({ action: z.string() });

export type Account = z.infer<typeof Account>;
export type PullRequest = z.infer<typeof PullRequest>;
export type Comment = z.infer<typeof Comment>;
export type Repository = z.infer<typeof Repository>;
export type Located = { repository: Repository; installation?: { id: number } | null | undefined };

export type Parsed<T> = { ok: true; data: T } | { ok: false; decision: RouteDecision };

export function parse<T>(schema: z.ZodType<T>, payload: unknown, name: string): Parsed<T> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue === undefined ? '' : ` (${issue.path.join('.')}: ${issue.message})`;
  return {
    ok: false,
    decision: ignore(`the ${name} payload lacks fields Patchling relies on${where}`),
  };
}

export function actionOf(payload: unknown): string | undefined {
  const parsed = WithAction.safeParse(payload);
  return parsed.success ? parsed.data.action : undefined;
}
