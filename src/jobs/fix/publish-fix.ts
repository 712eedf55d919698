import { accountIdentity } from '../../github/account-identity.js';
import { openDraftPullRequest } from '../../github/open-pull-request.js';
import { describeError } from '../../errors.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import { commitChanges } from '../../workspace/git/commit-changes.js';
import { diffAgainst } from '../../workspace/git/diff-against.js';
import { pushBranch } from '../../workspace/git/push-branch.js';
import type { RepoRef, Requester } from '../job.js';
import type { AgentJobDeps } from '../run-agent-job.js';
import type { FixChangesResult } from './fix-changes.js';
import { fixBranch } from './fix-branch.js';
import type { FixTarget } from './load-fix-target.js';
import { pushedBranches } from './pushed-branches.js';
import { fixPullRequestTitle, renderFixPullRequestBody } from './render-fix-report.js';

/** The most of a patch a comment carries (GitHub's limit is 65,536 characters in all). */
export const MAX_COMMENT_PATCH_CHARS = 40_000;

type PushTarget = FixTarget['push'];

/** What publishing needs of the job: a fix job, or a scan fixing its own finding. */
export interface PublishingJob {
  readonly repo: RepoRef;
  /** Co-author of the commit and asked to review; absent for a scheduled scan. */
  readonly requester?: Requester | undefined;
}

export interface PublishFixInput {
  readonly deps: AgentJobDeps;
  readonly job: PublishingJob;
  readonly target: FixTarget;
  readonly result: FixChangesResult;
  /** The workspace, and the commit the fix started from. */
  readonly dir: string;
  readonly base: string;
  readonly token: string;
  readonly botLogin: string;
  readonly signal: AbortSignal;
  /** Extra sections for the pull request body (a scan finding's evidence), Markdown. */
  readonly evidence?: string | undefined;
}

/**
 * pushed: the fix is on a branch (the intended one or a fallback), with a draft pull
 * request when one was wanted and could be opened. patch_only: nothing could be pushed;
 * the patch itself (redacted, size-capped) goes into the comment, so the fix is not lost.
 */
export type PublishedFix =
  | { readonly kind: 'pushed'; readonly summary: string; readonly link: string }
  | { readonly kind: 'patch_only'; readonly reason: string; readonly details: string };

/**
 * Commits the fix as the bot (the requester as co-author) and publishes it. Patchling's
 * own branch is force-pushed with a lease on the commit Patchling last pushed there, so
 * a commit someone else added is never dropped. When a push or the pull request fails
 * for any reason, the fix goes to a fallback branch of its own; when nothing can be
 * pushed at all, the comment carries the patch.
 */
export async function publishFix(input: PublishFixInput): Promise<PublishedFix> {
  const { deps, job, target, result } = input;
  const secrets = new SecretRedactor([...deps.secrets, ...tokenSpellings(input.token)]);
  const [author, coAuthors] = await Promise.all([
    accountIdentity(deps.github, input.botLogin),
    job.requester
      ? accountIdentity(deps.github, job.requester.login).then((identity) => [identity])
      : [],
  ]);
  const sha = await commitChanges({
    dir: input.dir,
    message: commitMessage(target, result),
    author,
    coAuthors,
    redactor: secrets,
    signal: input.signal,
  });

  let push: PushTarget;
  let fellBack = false;
  const failures: string[] = [];
  try {
    push = await pushOrPropose(input, target.push);
  } catch (error) {
    failures.push(`pushing to \`${target.push.branch}\`: ${describeError(error)}`);
    const fallback = fallbackTarget(input, sha);
    if (fallback === undefined) return patchOnly(input, secrets, failures);
    deps.log({ msg: 'push failed, using a fallback branch', branch: fallback.branch });
    try {
      await pushTo(input, fallback);
      push = fallback;
      fellBack = true;
    } catch (fallbackError) {
      failures.push(`pushing to \`${fallback.branch}\`: ${describeError(fallbackError)}`);
      return patchOnly(input, secrets, failures);
    }
  }

  const pushedNote = fellBack
    ? ` (\`${target.push.branch}\` refused the push, so the fix went to \`${push.branch}\`)`
    : '';
  const commitLink = `${target.htmlBase}/${push.owner}/${push.repo}/commit/${sha}`;
  if (push.openPullRequestInto === undefined) {
    return {
      kind: 'pushed',
      summary: secrets.redact(
        `Pushed ${sha.slice(0, 7)} to \`${push.branch}\`${pushedNote}: ${result.message}`,
      ),
      link: commitLink,
    };
  }
  const repo = { owner: job.repo.owner, repo: job.repo.repo };
  try {
    const pr = await openDraftPullRequest({
      octokit: deps.github,
      repo,
      head: push.branch,
      base: push.openPullRequestInto,
      title: secrets.redact(fixPullRequestTitle(target.origin, target.title)),
      body: secrets.redact(
        renderFixPullRequestBody({
          origin: target.origin,
          result,
          requester: job.requester?.login,
          evidence: input.evidence,
          modelConfig: deps.modelConfig,
        }),
      ),
    });
    return {
      kind: 'pushed',
      summary: secrets.redact(
        `${pr.created ? 'Opened' : 'Updated'} the draft pull request #${pr.number}${pushedNote}: ${result.message}`,
      ),
      link: pr.url,
    };
  } catch (error) {
    // The commit is on a branch: say where, and how to propose it by hand.
    deps.log({ msg: 'pull request failed', branch: push.branch, reason: describeError(error) });
    const compare = `${target.htmlBase}/${repo.owner}/${repo.repo}/compare/${encodeURIComponent(push.openPullRequestInto)}...${encodeURIComponent(push.branch)}`;
    return {
      kind: 'pushed',
      summary: secrets.redact(
        `Pushed ${sha.slice(0, 7)} to \`${push.branch}\`${pushedNote}, but the draft pull request could not be opened (${describeError(error)}); open it from the branch: ${result.message}`,
      ),
      link: compare,
    };
  }
}

function commitMessage(target: FixTarget, result: FixChangesResult): string {
  const subject = commitSubject(target);
  // The model's words must not add trailers (a forged Co-authored-by, a Signed-off-by).
  const body = (result.report?.summary ?? result.message).replace(
    /^([A-Za-z][A-Za-z0-9-]*-by)\s*:/gim,
    '$1 -',
  );
  return `${subject.replace(/\s+/g, ' ').slice(0, 72)}\n\n${body}`;
}

function commitSubject(target: FixTarget): string {
  const origin = target.origin;
  switch (origin.kind) {
    case 'issue':
      return `Fix #${origin.number}: ${target.title}`;
    case 'pull_request':
      return `Changes asked for in #${origin.number}`;
    case 'scan_finding':
      return `Fix ${target.title}`;
    default: {
      const unhandled: never = origin;
      throw new Error(`unknown origin ${JSON.stringify(unhandled)}`);
    }
  }
}

/**
 * Pushes to a target. Patchling's own branches are rewritten by a new attempt, under a
 * lease on what Patchling last pushed there (or on the branch not existing yet); anyone
 * else's branch only grows (a plain push).
 */
async function pushTo(input: PublishFixInput, target: PushTarget): Promise<void> {
  const records = pushedBranches(input.deps.stateDir);
  const key = { owner: target.owner, repo: target.repo, branch: target.branch };
  const lease = target.own ? ((await records.lastPushed(key)) ?? null) : undefined;
  const sha = await pushBranch({
    dir: input.dir,
    remoteUrl: input.deps.cloneUrl(target.owner, target.repo),
    token: input.token,
    branch: target.branch,
    ...(lease === undefined ? {} : { lease }),
    signal: input.signal,
  });
  if (target.own) await records.record(key, sha);
}

/**
 * Pushes the fix. When a pull request's own branch in this repository refuses it (it
 * moved on during the run, or it is protected), it goes to Patchling's branch
 * `patchling/pr-N` and is proposed into that branch instead.
 */
async function pushOrPropose(input: PublishFixInput, push: PushTarget): Promise<PushTarget> {
  try {
    await pushTo(input, push);
    return push;
  } catch (error) {
    const origin = input.target.origin;
    if (origin.kind !== 'pull_request') throw error;
    const ownBranch = fixBranch(origin);
    if (
      push.openPullRequestInto !== undefined ||
      !inThisRepo(input, push) ||
      push.branch === ownBranch
    ) {
      throw error;
    }
    input.deps.log({
      msg: 'push refused, proposing the fix on its own branch',
      branch: push.branch,
      reason: describeError(error),
    });
    const proposed: PushTarget = {
      ...push,
      branch: ownBranch,
      own: true,
      openPullRequestInto: push.branch,
    };
    await pushTo(input, proposed);
    return proposed;
  }
}

/**
 * A branch no one else uses, named for the fix's commit: `patchling/issue-12-1a2b3c4d`.
 * Only in this repository, and never for a fork's branch: that would copy the fork's
 * commits here (the comment carries the patch instead).
 */
function fallbackTarget(input: PublishFixInput, sha: string): PushTarget | undefined {
  const push = input.target.push;
  if (!inThisRepo(input, push)) return undefined;
  const origin = input.target.origin;
  const stem = fixBranch(origin);
  return {
    owner: push.owner,
    repo: push.repo,
    branch: `${stem}-${sha.slice(0, 8)}`,
    own: true,
    openPullRequestInto: push.openPullRequestInto ?? push.branch,
  };
}

function inThisRepo(input: PublishFixInput, push: PushTarget): boolean {
  return (
    push.owner.toLowerCase() === input.job.repo.owner.toLowerCase() &&
    push.repo.toLowerCase() === input.job.repo.repo.toLowerCase()
  );
}

async function patchOnly(
  input: PublishFixInput,
  secrets: SecretRedactor,
  failures: readonly string[],
): Promise<PublishedFix> {
  const diff = secrets.redact(
    await diffAgainst({ dir: input.dir, base: input.base, signal: input.signal }),
  );
  const cut = diff.length > MAX_COMMENT_PATCH_CHARS;
  // Cut at a line end, so no half line (or half a redaction marker) is shown.
  const shown = cut ? diff.slice(0, diff.lastIndexOf('\n', MAX_COMMENT_PATCH_CHARS) + 1) : diff;
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(shown) + 1));
  const details =
    `${secrets.redact(`Nothing could be pushed: ${failures.join('; ')}.`)}\n\n` +
    `The fix as a patch (\`git apply\` it)${cut ? `, cut at ${MAX_COMMENT_PATCH_CHARS} of its ${diff.length} characters` : ''}:\n\n` +
    `${fence}diff\n${shown}${fence}`;
  return {
    kind: 'patch_only',
    reason: 'The fix is ready but could not be pushed; the patch is below.',
    details,
  };
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}
