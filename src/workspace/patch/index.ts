export { applyPatch, type ApplyPatchOptions } from './apply-patch.js';
export { parsePatch } from './parse-patch.js';
export { PatchApplyError, PatchParseError, PatchWriteError } from './patch-errors.js';
export type {
  AddFileHunk,
  ApplyPatchResult,
  ChangeKind,
  ChangedFile,
  DeleteFileHunk,
  ParsedPatch,
  PatchHunk,
  UpdateChunk,
  UpdateFileHunk,
} from './patch-types.js';
export { nodeWriterFs, type WriterFs } from './write-changes-atomically.js';
