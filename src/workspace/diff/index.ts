export { commentableRange, type CommentableRange } from './commentable-range.js';
export { DiffParseError } from './diff-parse-error.js';
export type {
  AddedLine,
  ContextLine,
  DeletedLine,
  DiffFile,
  DiffLine,
  DiffStatus,
  Hunk,
} from './diff-types.js';
export { matchIgnorePaths } from './ignore-paths.js';
export { isGeneratedOrVendored } from './is-generated-or-vendored.js';
export { changedLines, newFileHead, newSideLines } from './line-maps.js';
export {
  parseGitattributes,
  type AttributeValue,
  type GitAttributes,
} from './parse-gitattributes.js';
export { parseUnifiedDiff } from './parse-unified-diff.js';
export {
  estimateTokens,
  planReviewBatches,
  type ReviewBatchOptions,
  type ReviewBatchPlan,
  type SkippedFile,
} from './plan-review-batches.js';
export { renderDiff, renderDiffFile } from './render-diff.js';
