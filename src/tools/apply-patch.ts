import { z } from 'zod';
import { describeError } from '../errors.js';
import {
  applyPatch,
  PatchWriteError,
  type ApplyPatchOptions,
  type ChangedFile,
} from '../workspace/patch/index.js';
import type { Tool, ToolOutcome } from './types.js';

const parameters = z.object({
  input: z
    .string()
    .describe(
      'The whole patch: "*** Begin Patch", then "*** Add File: <path>", "*** Delete File: <path>" or "*** Update File: <path>" sections, then "*** End Patch". Format in the tool description.',
    ),
});

/**
 * Written for the model and sent every turn, so compact: the grammar in brief, the rules
 * that trip models up, one example. The format is Codex CLI's, which OpenAI models know.
 */
const DESCRIPTION = `Create, edit, delete and rename files with a patch. Paths are relative to the repository root. All hunks apply or none does.

*** Begin Patch
*** Add File: <path>       then every line of the new file, each prefixed with "+"
*** Delete File: <path>    nothing follows
*** Update File: <path>    optionally "*** Move to: <new path>", then one or more chunks
*** End Patch

A chunk starts with "@@" or "@@ <a line of the file>" (e.g. a class or function header, found first, to tell repeated code apart; several "@@" lines narrow down step by step). Then its lines: " " unchanged, "-" removed, "+" added. Include about 3 unchanged lines above and below each change, copied exactly. Chunks go in file order. "*** End of File" after a chunk's lines means they end the file.

Example:
*** Begin Patch
*** Add File: docs/hello.md
+# Hello
*** Update File: src/app.py
@@ def greet(name):
     """Greet someone."""
-    print("Hi", name)
+    print("Hello", name)
     return None
*** Delete File: old.txt
*** End Patch`;

export interface ApplyPatchToolOptions {
  /** Passed to the writer; tests use it to inject file-system failures. */
  readonly writer?: Omit<ApplyPatchOptions, 'signal'>;
}

/** Builds the tool; `applyPatchTool` is the one with the real file system. */
export function createApplyPatchTool(options: ApplyPatchToolOptions = {}): Tool<typeof parameters> {
  return {
    name: 'apply_patch',
    description: DESCRIPTION,
    parameters,
    mutating: true,
    async run(args, context): Promise<ToolOutcome> {
      // The patch is applied in this process, not in the sandbox, so the sandbox's policy
      // has to be enforced here. workspace-write forbids .git; applyPatch refuses it too.
      if (context.sandbox.policy === 'read-only') {
        return {
          ok: false,
          output: 'apply_patch refused: the sandbox is read-only; no files may be changed.',
        };
      }
      try {
        const result = await applyPatch(context.workspace, args.input, {
          ...options.writer,
          signal: context.signal,
        });
        return { ok: true, output: formatSuccess(result.changed) };
      } catch (error) {
        const unchanged = !(error instanceof PatchWriteError) || error.rolledBack;
        const heading = unchanged
          ? 'apply_patch failed; no file was changed.'
          : 'apply_patch failed while writing, and not every file could be restored.';
        return { ok: false, output: `${heading}\n${describeError(error)}` };
      }
    },
  };
}

export const applyPatchTool = createApplyPatchTool();

/** Codex's summary: one line per file, A added, M modified (or moved), D deleted. */
function formatSuccess(changed: readonly ChangedFile[]): string {
  const lines = changed.map((file) => {
    switch (file.kind) {
      case 'add':
        return `A ${file.path}`;
      case 'update':
        return `M ${file.path}`;
      case 'delete':
        return `D ${file.path}`;
      case 'move':
        return `M ${file.movedTo ?? file.path} (moved from ${file.path})`;
      default: {
        const unknown: never = file.kind;
        throw new TypeError(`unknown change kind ${String(unknown)}`);
      }
    }
  });
  if (lines.length === 0) return 'Success. The patch left every file as it was.';
  return ['Success. Updated the following files:', ...lines].join('\n');
}
