/** Patchling's GitHub API layer. See docs/github.md. */
export { addReaction, type ReactionContent, type ReactionSubject } from './add-reaction.js';
export {
  createGitHubClient,
  type GitHubAuth,
  type GitHubClient,
  type GitHubClientOptions,
} from './create-github-client.js';
export { GitHubRateLimitError, isNotFound } from './errors.js';
export {
  getPermissionLevel,
  hasPermission,
  PERMISSION_LEVELS,
  type PermissionLevel,
} from './get-permission-level.js';
export { fitGitHubText, MAX_BODY_CHARS, MAX_CHECK_RUN_TEXT_CHARS } from './limits.js';
export { postComment, type PostedComment } from './post-comment.js';
export { createProgressCheckRun, type ProgressCheckRunOptions } from './progress-check-run.js';
export { createProgressComment, type ProgressCommentOptions } from './progress-comment.js';
export { parseProgressBody, progressMarker } from './progress-marker.js';
export type { ProgressReporter, ProgressSuccess } from './progress-reporter.js';
export { readRepoFile, type ReadRepoFileOptions } from './read-repo-file.js';
export { installRequestRedaction, redactDeep } from './redact-request.js';
export type { GitHubRateLimitWait, GitHubThrottleOptions } from './throttle-options.js';
export type { GitHubApi, GitHubLog, GitHubRepo } from './types.js';
